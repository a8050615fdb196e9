//! The IDX format of the original MNIST files (raw or gzip-compressed).
//!
//! Layout: two zero bytes, an element-type byte (0x08 = unsigned byte), the number of
//! dimensions, then one big-endian `u32` per dimension, then the elements in row-major order.
//! Every size the header claims is checked against the bytes really present before anything is
//! allocated, so a tiny file that claims gigabytes is refused, not trusted.

use std::borrow::Cow;
use std::io::Read;

use thiserror::Error;

/// Decompressed IDX files larger than this are refused (the MNIST training images are 47 MB).
pub const MAX_IDX_BYTES: usize = 256 * 1024 * 1024;

/// Why an IDX file could not be read.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum IdxError {
    #[error("the file is empty")]
    Empty,
    #[error(
        "not an IDX file: it starts with bytes {0:02x} {1:02x}, an IDX file starts with 00 00"
    )]
    BadMagic(u8, u8),
    #[error("unsupported IDX element type 0x{0:02x}: only 0x08 (unsigned byte) is supported")]
    UnsupportedType(u8),
    #[error("the IDX header is truncated: it needs {needed} bytes but the file has {actual}")]
    TruncatedHeader { needed: usize, actual: usize },
    #[error("the IDX header claims a 0-dimensional array")]
    NoDimensions,
    #[error(
        "the IDX header claims dimensions {dims:?} ({claimed} bytes), above the {limit}-byte cap"
    )]
    TooLarge {
        dims: Vec<usize>,
        claimed: u128,
        limit: usize,
    },
    #[error("the IDX data is truncated: the header claims dimensions {dims:?} ({claimed} bytes) but only {actual} bytes follow")]
    TruncatedBody {
        dims: Vec<usize>,
        claimed: usize,
        actual: usize,
    },
    #[error("the IDX data has {extra} bytes after the {claimed} the header claims")]
    TrailingBytes { claimed: usize, extra: usize },
    #[error("the gzip stream is corrupt: {0}")]
    Gzip(String),
    #[error("the decompressed file is larger than the {0}-byte cap")]
    GzipTooLarge(usize),
}

/// An n-dimensional array of unsigned bytes read from an IDX file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    /// Size of each dimension, outermost first (e.g. `[60000, 28, 28]`).
    pub dims: Vec<usize>,
    /// The elements in row-major order.
    pub data: Vec<u8>,
}

/// Parses IDX bytes, decompressing them first when they are gzip (magic `1f 8b`). Given a
/// `Vec`, the elements stay in it (no copy of a 47 MB file: the page parses on its main thread).
pub fn parse_idx<'a>(bytes: impl Into<Cow<'a, [u8]>>) -> Result<IdxArray, IdxError> {
    let bytes = bytes.into();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        parse_raw(gunzip(&bytes, MAX_IDX_BYTES)?.into())
    } else {
        parse_raw(bytes)
    }
}

/// Decompresses a gzip stream, refusing output above `limit` bytes.
pub fn gunzip(bytes: &[u8], limit: usize) -> Result<Vec<u8>, IdxError> {
    let mut out = Vec::new();
    let mut decoder = flate2::read::GzDecoder::new(bytes).take(limit as u64 + 1);
    decoder
        .read_to_end(&mut out)
        .map_err(|e| IdxError::Gzip(e.to_string()))?;
    if out.len() > limit {
        return Err(IdxError::GzipTooLarge(limit));
    }
    Ok(out)
}

fn parse_raw(bytes: Cow<'_, [u8]>) -> Result<IdxArray, IdxError> {
    if bytes.is_empty() {
        return Err(IdxError::Empty);
    }
    if bytes.len() < 4 {
        return Err(IdxError::TruncatedHeader {
            needed: 4,
            actual: bytes.len(),
        });
    }
    if bytes[0] != 0 || bytes[1] != 0 {
        return Err(IdxError::BadMagic(bytes[0], bytes[1]));
    }
    if bytes[2] != 0x08 {
        return Err(IdxError::UnsupportedType(bytes[2]));
    }
    let ndims = bytes[3] as usize;
    if ndims == 0 {
        return Err(IdxError::NoDimensions);
    }
    let header = 4 + 4 * ndims;
    if bytes.len() < header {
        return Err(IdxError::TruncatedHeader {
            needed: header,
            actual: bytes.len(),
        });
    }
    let dims: Vec<usize> = bytes[4..header]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    // Saturating: up to 255 dimensions of 2^32 overflow even u128 (found by the fuzzer); a
    // saturated product is above any cap, and a zero dimension still gives 0.
    let claimed: u128 = dims
        .iter()
        .fold(1u128, |acc, &d| acc.saturating_mul(d as u128));
    if claimed > MAX_IDX_BYTES as u128 {
        return Err(IdxError::TooLarge {
            dims,
            claimed,
            limit: MAX_IDX_BYTES,
        });
    }
    let claimed = claimed as usize;
    let body = bytes.len() - header;
    if body < claimed {
        return Err(IdxError::TruncatedBody {
            dims,
            claimed,
            actual: body,
        });
    }
    if body > claimed {
        return Err(IdxError::TrailingBytes {
            claimed,
            extra: body - claimed,
        });
    }
    let data = match bytes {
        Cow::Borrowed(b) => b[header..].to_vec(),
        Cow::Owned(mut v) => {
            v.drain(..header);
            v
        }
    };
    Ok(IdxArray { dims, data })
}

/// Encodes an array as raw IDX bytes (used by tests and fixtures).
pub fn encode_idx(dims: &[usize], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, dims.len() as u8];
    for &d in dims {
        out.extend_from_slice(&(d as u32).to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn reads_raw_and_gzip_alike() {
        let raw = encode_idx(&[2, 3], &[1, 2, 3, 4, 5, 6]);
        let a = parse_idx(&raw).unwrap();
        assert_eq!(a.dims, vec![2, 3]);
        assert_eq!(a.data, vec![1, 2, 3, 4, 5, 6]);
        assert_eq!(parse_idx(gzip(&raw)).unwrap(), a);
    }

    /// An owned file is parsed in place: the elements stay in its allocation (the page's
    /// main thread must not copy MNIST's 47 MB again).
    #[test]
    fn an_owned_file_keeps_its_allocation() {
        let raw = encode_idx(&[2, 3], &[1, 2, 3, 4, 5, 6]);
        let owned = raw.clone();
        let at = owned.as_ptr();
        let a = parse_idx(owned).unwrap();
        assert_eq!(a, parse_idx(&raw).unwrap());
        assert_eq!(a.data.as_ptr(), at);
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        assert_eq!(parse_idx(&[]), Err(IdxError::Empty));
        assert_eq!(
            parse_idx(&[0, 0]),
            Err(IdxError::TruncatedHeader {
                needed: 4,
                actual: 2
            })
        );
        assert_eq!(
            parse_idx(b"PK\x03\x04"),
            Err(IdxError::BadMagic(b'P', b'K'))
        );
        assert_eq!(
            parse_idx(&[0, 0, 0x0d, 1, 0, 0, 0, 0]),
            Err(IdxError::UnsupportedType(0x0d))
        );
        assert_eq!(parse_idx(&[0, 0, 8, 0]), Err(IdxError::NoDimensions));
        assert_eq!(
            parse_idx(&[0, 0, 8, 3, 0, 0, 0, 1]),
            Err(IdxError::TruncatedHeader {
                needed: 16,
                actual: 8
            })
        );
        let mut truncated = encode_idx(&[2, 3], &[1, 2, 3, 4, 5, 6]);
        truncated.truncate(truncated.len() - 2);
        let err = parse_idx(&truncated).unwrap_err();
        assert_eq!(
            err,
            IdxError::TruncatedBody {
                dims: vec![2, 3],
                claimed: 6,
                actual: 4
            }
        );
        assert!(err
            .to_string()
            .contains("claims dimensions [2, 3] (6 bytes) but only 4 bytes follow"));
        let mut trailing = encode_idx(&[2], &[1, 2]);
        trailing.push(9);
        assert_eq!(
            parse_idx(&trailing),
            Err(IdxError::TrailingBytes {
                claimed: 2,
                extra: 1
            })
        );
    }

    #[test]
    fn a_huge_claim_in_a_tiny_file_is_refused_before_allocating() {
        let tiny = encode_idx(&[60000, 60000, 28], &[]);
        assert!(matches!(parse_idx(&tiny), Err(IdxError::TooLarge { .. })));
        // Found by the fuzzer: 2^32-sized dimensions overflowed the u128 product; with a zero
        // dimension after them the true size is 0 bytes.
        let overflow = encode_idx(&[u32::MAX as usize; 6], &[]);
        assert!(matches!(
            parse_idx(&overflow),
            Err(IdxError::TooLarge { .. })
        ));
        let empty = encode_idx(
            &[
                u32::MAX as usize,
                u32::MAX as usize,
                u32::MAX as usize,
                u32::MAX as usize,
                u32::MAX as usize,
                0,
            ],
            &[],
        );
        assert_eq!(parse_idx(&empty).unwrap().data.len(), 0);
    }

    #[test]
    fn corrupt_gzip_is_an_error_not_a_panic() {
        let mut gz = gzip(&encode_idx(&[4], &[1, 2, 3, 4]));
        let n = gz.len();
        gz.truncate(n / 2);
        assert!(matches!(parse_idx(&gz), Err(IdxError::Gzip(_))));
        assert!(matches!(
            parse_idx(&[0x1f, 0x8b, 0xff, 0xff]),
            Err(IdxError::Gzip(_))
        ));
    }
}
