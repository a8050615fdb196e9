//! NumPy's `.npy` format (one array per file; an `.npz` is a zip of them, see `npz`).
//!
//! Layout: the magic `\x93NUMPY`, a version (1.0: a `u16` header length; 2.0 and 3.0: `u32`),
//! then a Python dict literal such as `{'descr': '|u1', 'fortran_order': False, 'shape': (3, 28,
//! 28), }` padded with spaces, then the elements. Only plain little-endian (or byte-sized)
//! integer arrays in C order are accepted; object arrays (pickles) never are. The element count
//! the header claims is checked against the bytes really present before anything is allocated.

use thiserror::Error;

/// The npy magic string.
const MAGIC: &[u8] = b"\x93NUMPY";
/// Largest header accepted (NumPy writes 128 bytes or so; 64 KiB leaves room for long shapes).
const MAX_HEADER: usize = 65_536;
/// Largest number of dimensions accepted (NumPy's own limit is 64).
const MAX_DIMS: usize = 32;

/// Why an `.npy` array could not be read.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum NpyError {
    #[error("not an .npy array: it does not start with \\x93NUMPY")]
    BadMagic,
    #[error("unsupported .npy version {0}.{1} (expected 1.0, 2.0 or 3.0)")]
    UnsupportedVersion(u8, u8),
    #[error("the .npy header is truncated: it needs {needed} bytes but the array has {actual}")]
    TruncatedHeader { needed: usize, actual: usize },
    #[error("the .npy header is {0} bytes long, above the {MAX_HEADER}-byte cap")]
    HeaderTooLong(usize),
    #[error("the .npy header is not a valid dict: {0}")]
    BadHeader(String),
    #[error("object arrays (descr {0:?}) hold Python pickles, which are never loaded; save the array with a numeric dtype")]
    ObjectArray(String),
    #[error("unsupported dtype {0:?}: expected unsigned or signed integers (e.g. '|u1', '<i8')")]
    UnsupportedDtype(String),
    #[error("Fortran-ordered arrays are not supported; save the array in C order")]
    FortranOrder,
    #[error("the shape {shape:?} claims {claimed} bytes but {actual} bytes follow the header")]
    SizeMismatch {
        shape: Vec<usize>,
        claimed: u128,
        actual: usize,
    },
}

/// An integer element type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntType {
    /// Bytes per element: 1, 2, 4 or 8.
    pub size: usize,
    pub signed: bool,
}

/// An integer array read from an `.npy` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpyArray {
    pub dtype: IntType,
    /// Size of each dimension, outermost first.
    pub shape: Vec<usize>,
    /// The elements, little-endian, in C order.
    pub data: Vec<u8>,
}

impl NpyArray {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.data.len() / self.dtype.size
    }

    /// True when the array holds no element.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The `i`-th element as an `i128` (every supported dtype fits).
    pub fn get(&self, i: usize) -> i128 {
        let b = &self.data[i * self.dtype.size..(i + 1) * self.dtype.size];
        let mut le = [0u8; 16];
        le[..b.len()].copy_from_slice(b);
        if self.dtype.signed && b[b.len() - 1] & 0x80 != 0 {
            le[b.len()..].fill(0xff);
        }
        i128::from_le_bytes(le)
    }
}

/// Parses `.npy` bytes.
pub fn parse_npy(bytes: &[u8]) -> Result<NpyArray, NpyError> {
    if !bytes.starts_with(MAGIC) {
        return Err(NpyError::BadMagic);
    }
    let truncated = |needed| NpyError::TruncatedHeader {
        needed,
        actual: bytes.len(),
    };
    if bytes.len() < 8 {
        return Err(truncated(10));
    }
    let (major, minor) = (bytes[6], bytes[7]);
    let (len_bytes, header_len) = match major {
        1 => {
            let b = bytes.get(8..10).ok_or_else(|| truncated(10))?;
            (2, u16::from_le_bytes([b[0], b[1]]) as usize)
        }
        2 | 3 => {
            let b = bytes.get(8..12).ok_or_else(|| truncated(12))?;
            (4, u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        }
        _ => return Err(NpyError::UnsupportedVersion(major, minor)),
    };
    if header_len > MAX_HEADER {
        return Err(NpyError::HeaderTooLong(header_len));
    }
    let start = 8 + len_bytes;
    let header = bytes
        .get(start..start + header_len)
        .ok_or_else(|| truncated(start + header_len))?;
    let header = std::str::from_utf8(header)
        .map_err(|_| NpyError::BadHeader("it is not UTF-8 text".into()))?;
    let fields = parse_header(header)?;
    let dtype = int_type(&fields.descr)?;
    if fields.fortran_order && fields.shape.len() > 1 {
        return Err(NpyError::FortranOrder);
    }
    let body = &bytes[start + header_len..];
    let claimed: u128 = fields
        .shape
        .iter()
        .fold(1u128, |acc, &d| acc.saturating_mul(d as u128))
        .saturating_mul(dtype.size as u128);
    if claimed != body.len() as u128 {
        return Err(NpyError::SizeMismatch {
            shape: fields.shape,
            claimed,
            actual: body.len(),
        });
    }
    Ok(NpyArray {
        dtype,
        shape: fields.shape,
        data: body.to_vec(),
    })
}

/// The three header fields.
struct Header {
    descr: String,
    fortran_order: bool,
    shape: Vec<usize>,
}

/// Parses the header dict: `{'descr': str, 'fortran_order': bool, 'shape': tuple}` in any
/// order, with NumPy's spacing or any other.
fn parse_header(text: &str) -> Result<Header, NpyError> {
    let bad = |m: &str| NpyError::BadHeader(m.to_string());
    let mut p = Parser {
        s: text.trim_end().as_bytes(),
        i: 0,
    };
    p.expect(b'{')
        .map_err(|_| bad("it does not start with '{'"))?;
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    loop {
        p.skip_space();
        if p.eat(b'}') {
            break;
        }
        let key = p.string().ok_or_else(|| bad("expected a quoted key"))?;
        p.skip_space();
        p.expect(b':')
            .map_err(|_| bad("expected ':' after a key"))?;
        p.skip_space();
        match key.as_str() {
            "descr" => descr = Some(p.string().ok_or_else(|| bad("'descr' is not a string"))?),
            "fortran_order" => {
                fortran = Some(
                    p.boolean()
                        .ok_or_else(|| bad("'fortran_order' is not True or False"))?,
                )
            }
            "shape" => {
                shape = Some(
                    p.tuple()
                        .ok_or_else(|| bad("'shape' is not a tuple of integers"))?,
                )
            }
            other => return Err(NpyError::BadHeader(format!("unknown key {other:?}"))),
        }
        p.skip_space();
        if !p.eat(b',') {
            p.skip_space();
            p.expect(b'}').map_err(|_| bad("expected ',' or '}'"))?;
            break;
        }
    }
    p.skip_space();
    if p.i != p.s.len() {
        return Err(bad("text after the closing '}'"));
    }
    let shape: Vec<usize> = shape.ok_or_else(|| bad("no 'shape'"))?;
    if shape.len() > MAX_DIMS {
        return Err(NpyError::BadHeader(format!(
            "{} dimensions (at most {MAX_DIMS})",
            shape.len()
        )));
    }
    Ok(Header {
        descr: descr.ok_or_else(|| bad("no 'descr'"))?,
        fortran_order: fortran.ok_or_else(|| bad("no 'fortran_order'"))?,
        shape,
    })
}

/// The integer type a `descr` names.
fn int_type(descr: &str) -> Result<IntType, NpyError> {
    if descr.contains('O') {
        return Err(NpyError::ObjectArray(descr.into()));
    }
    let unsupported = || NpyError::UnsupportedDtype(descr.into());
    let b = descr.as_bytes();
    if b.len() < 3 {
        return Err(unsupported());
    }
    // `get`, not `[2..]`: a non-ASCII descr may have no character boundary at byte 2.
    let (order, kind) = (b[0], b[1]);
    let size: usize = descr
        .get(2..)
        .and_then(|s| s.parse().ok())
        .ok_or_else(unsupported)?;
    let signed = match kind {
        b'u' => false,
        b'i' => true,
        _ => return Err(unsupported()),
    };
    // '|' (not applicable) for bytes; '<' or '=' (native, little-endian on every platform we
    // build for) for wider integers. Big-endian arrays are refused.
    let order_ok = match size {
        1 => matches!(order, b'|' | b'<' | b'=' | b'>'),
        2 | 4 | 8 => matches!(order, b'<' | b'='),
        _ => false,
    };
    if !order_ok {
        return Err(unsupported());
    }
    Ok(IntType { size, signed })
}

/// A cursor over the header text.
struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn skip_space(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        let hit = self.s.get(self.i) == Some(&c);
        if hit {
            self.i += 1;
        }
        hit
    }

    fn expect(&mut self, c: u8) -> Result<(), ()> {
        self.eat(c).then_some(()).ok_or(())
    }

    /// A string in single or double quotes, without escapes.
    fn string(&mut self) -> Option<String> {
        let quote = *self.s.get(self.i)?;
        if quote != b'\'' && quote != b'"' {
            return None;
        }
        let start = self.i + 1;
        let len = self.s[start..].iter().position(|&c| c == quote)?;
        self.i = start + len + 1;
        std::str::from_utf8(&self.s[start..start + len])
            .ok()
            .map(String::from)
    }

    fn boolean(&mut self) -> Option<bool> {
        for (word, value) in [(&b"True"[..], true), (&b"False"[..], false)] {
            if self.s[self.i..].starts_with(word) {
                self.i += word.len();
                return Some(value);
            }
        }
        None
    }

    /// `()`, `(n,)` or `(n, m, …)`, with an optional trailing comma.
    fn tuple(&mut self) -> Option<Vec<usize>> {
        self.expect(b'(').ok()?;
        let mut dims = Vec::new();
        loop {
            self.skip_space();
            if self.eat(b')') {
                return Some(dims);
            }
            let start = self.i;
            while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
                self.i += 1;
            }
            let digits = std::str::from_utf8(&self.s[start..self.i]).ok()?;
            dims.push(digits.parse().ok()?);
            if dims.len() > MAX_DIMS {
                return None;
            }
            self.skip_space();
            if !self.eat(b',') {
                self.skip_space();
                self.expect(b')').ok()?;
                return Some(dims);
            }
        }
    }
}

/// Encodes an array as `.npy` 1.0 bytes, as NumPy writes it (used by tests and `make-npz`).
pub fn encode_npy(descr: &str, shape: &[usize], data: &[u8]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    // Pad so that the data starts on a 64-byte boundary, ending with a newline.
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_numpy_writes() {
        // np.save of np.arange(6, dtype=np.uint8).reshape(2, 3), byte for byte.
        let bytes = encode_npy("|u1", &[2, 3], &[0, 1, 2, 3, 4, 5]);
        assert_eq!(bytes.len() % 64, 6, "header padded to 64 bytes");
        assert!(bytes.starts_with(
            b"\x93NUMPY\x01\x00v\x00{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }"
        ));
        let a = parse_npy(&bytes).unwrap();
        assert_eq!(a.shape, vec![2, 3]);
        assert_eq!(a.len(), 6);
        assert_eq!(a.get(5), 5);
        let labels = encode_npy(
            "<i8",
            &[2],
            &[
                255, 255, 255, 255, 255, 255, 255, 255, 7, 0, 0, 0, 0, 0, 0, 0,
            ],
        );
        let l = parse_npy(&labels).unwrap();
        assert_eq!((l.get(0), l.get(1)), (-1, 7));
        assert_eq!(
            parse_npy(&encode_npy("<u2", &[1], &[0x34, 0x12]))
                .unwrap()
                .get(0),
            0x1234
        );
    }

    #[test]
    fn header_variants_parse() {
        let h = parse_header("{\"shape\":(),\"fortran_order\":True,\"descr\":\"<i4\"}").unwrap();
        assert_eq!(
            (h.shape, h.fortran_order, h.descr.as_str()),
            (vec![], true, "<i4")
        );
        let h =
            parse_header("{'descr': '|u1', 'fortran_order': False, 'shape': (34581, 1), }   \n")
                .unwrap();
        assert_eq!(h.shape, vec![34581, 1]);
    }

    #[test]
    fn bad_arrays_say_what_is_wrong() {
        let err = |bytes: &[u8]| parse_npy(bytes).unwrap_err().to_string();
        assert!(err(b"PK\x03\x04").contains("does not start with \\x93NUMPY"));
        assert!(err(b"\x93NUMPY\x01").contains("header is truncated"));
        assert!(err(b"\x93NUMPY\x09\x00\x00\x00").contains("version 9.0"));
        assert!(err(b"\x93NUMPY\x01\x00\xff\x00{").contains("needs 265 bytes"));
        assert!(err(b"\x93NUMPY\x02\x00\xff\xff\xff\x00").contains("above the 65536-byte cap"));
        let pickle = encode_npy("|O", &[2], &[0; 16]);
        assert!(
            err(&pickle).contains("pickles, which are never loaded"),
            "{}",
            err(&pickle)
        );
        assert!(err(&encode_npy("<f4", &[1], &[0; 4])).contains("unsupported dtype \"<f4\""));
        assert!(err(&encode_npy(">i4", &[1], &[0; 4])).contains("unsupported dtype"));
        // Found by the fuzzer (fuzz/regressions/npy): a descr whose byte 2 is inside a
        // two-byte character used to panic on slicing.
        assert!(err(&encode_npy("|\u{58b}1", &[1], &[0])).contains("unsupported dtype"));
        let mut fortran = encode_npy("|u1", &[2, 2], &[0; 4]);
        let at = fortran.windows(5).position(|w| w == b"False").unwrap();
        fortran.splice(at..at + 5, b"True ".iter().copied());
        assert!(err(&fortran).contains("Fortran-ordered"));
        let short = encode_npy("|u1", &[2, 3], &[0; 4]);
        assert_eq!(
            err(&short),
            "the shape [2, 3] claims 6 bytes but 4 bytes follow the header"
        );
        // Found by the fuzzer (fuzz/corpus): dimensions near 2^64 overflowed the u128 product.
        let overflow = encode_npy("|u1", &[usize::MAX, usize::MAX, usize::MAX], &[1]);
        assert!(err(&overflow).contains("claims 340282366920938463463374607431768211455 bytes"));
        let huge = encode_npy("<i8", &[4_000_000_000, 4_000_000_000], &[]);
        assert!(err(&huge).contains("claims 128000000000000000000 bytes but 0 bytes follow"));
        for header in [
            "{'descr': '|u1'",
            "{'descr': '|u1', 'shape': (1,)}",
            "{'descr': '|u1', 'fortran_order': False, 'shape': (1,), 'x': 1}",
            "{'descr': '|u1', 'fortran_order': False, 'shape': (-1,)}",
        ] {
            assert!(
                matches!(parse_header(header), Err(NpyError::BadHeader(_))),
                "{header}"
            );
        }
    }
}
