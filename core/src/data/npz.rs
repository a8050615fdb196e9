//! NumPy's `.npz` archives: a zip file with one `<key>.npy` entry per array (`np.savez`, or
//! `np.savez_compressed` with deflate, as MedMNIST ships them).
//!
//! Sizes are checked before reading: the archive against `MAX_NPZ_BYTES`, each entry's
//! declared size against `MAX_ENTRY_BYTES`, and the decompressed stream is cut at the cap
//! anyway, so a zip bomb or a lying directory costs at most the cap.

use std::io::{Cursor, Read, Write};

use thiserror::Error;

use super::npy::{parse_npy, NpyArray, NpyError};

/// Archives larger than this are refused before being opened (OrganAMNIST at 28 px is 38 MB;
/// MedMNIST+'s 224-pixel release holds 2.95 GB of images). Natively 4 GiB; in the page 1 GiB,
/// half the tab's memory budget (`pipeline::memory`, 2 GiB), so a file that could never train
/// there is refused before it is read.
#[cfg(not(target_arch = "wasm32"))]
pub const MAX_NPZ_BYTES: usize = 4 << 30;
#[cfg(target_arch = "wasm32")]
pub const MAX_NPZ_BYTES: usize = 1 << 30;
/// Arrays larger than this (decompressed) are refused (OrganAMNIST's training images: 27 MB
/// at 28 px, 1.73 GB at 224 px): the same caps as [`MAX_NPZ_BYTES`].
pub const MAX_ENTRY_BYTES: usize = MAX_NPZ_BYTES;
/// Where the caps come from, for their messages.
#[cfg(not(target_arch = "wasm32"))]
const CAP_REASON: &str = "the command line's cap";
#[cfg(target_arch = "wasm32")]
const CAP_REASON: &str =
    "the page's cap, half its 2 GiB memory budget; the command line reads up to 4 GiB";

/// Why an `.npz` archive could not be read.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum NpzError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is {0} bytes, above {MAX_NPZ_BYTES} bytes ({CAP_REASON}) for .npz archives")]
    TooLarge(usize),
    #[error("not a readable .npz (zip) archive: {0}")]
    Zip(String),
    #[error("the archive has no array {key:?} (it has: {found})")]
    MissingKey { key: String, found: String },
    #[error("array {key:?} is {size} bytes decompressed, above {cap} bytes ({CAP_REASON})")]
    EntryTooLarge { key: String, size: u64, cap: u64 },
    #[error("array {key:?}: {source}")]
    Array { key: String, source: NpyError },
}

/// An opened archive; arrays are decompressed one at a time on request.
pub struct Npz<'a> {
    zip: zip::ZipArchive<Cursor<&'a [u8]>>,
    /// Size of the archive in bytes.
    archive_bytes: usize,
    /// Largest array accepted, decompressed ([`MAX_ENTRY_BYTES`] unless set).
    entry_cap: usize,
}

/// Deflate's largest expansion: 258 output bytes from 2 bits, so under 1032 per input byte.
const DEFLATE_MAX_RATIO: u64 = 1032;

impl<'a> Npz<'a> {
    /// Opens an archive held in memory.
    pub fn open(bytes: &'a [u8]) -> Result<Self, NpzError> {
        if bytes.is_empty() {
            return Err(NpzError::Empty);
        }
        if bytes.len() > MAX_NPZ_BYTES {
            return Err(NpzError::TooLarge(bytes.len()));
        }
        let zip =
            zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| NpzError::Zip(e.to_string()))?;
        Ok(Self {
            zip,
            archive_bytes: bytes.len(),
            entry_cap: MAX_ENTRY_BYTES,
        })
    }

    /// The same archive with arrays capped at `cap` bytes decompressed (at most the default).
    pub fn with_entry_cap(mut self, cap: usize) -> Self {
        self.entry_cap = cap.min(MAX_ENTRY_BYTES);
        self
    }

    /// The arrays' names (entry names without `.npy`), in archive order.
    pub fn keys(&self) -> Vec<String> {
        self.zip
            .file_names()
            .filter_map(Result::ok)
            .map(|n| n.strip_suffix(".npy").unwrap_or(&n).to_string())
            .collect()
    }

    /// True when the archive holds array `key`.
    pub fn has(&self, key: &str) -> bool {
        self.zip.index_for_name(&format!("{key}.npy")).is_some()
    }

    /// Decompresses and parses array `key`.
    pub fn array(&mut self, key: &str) -> Result<NpyArray, NpzError> {
        let Some(index) = self.zip.index_for_name(&format!("{key}.npy")) else {
            let mut found = self.keys();
            found.sort();
            return Err(NpzError::MissingKey {
                key: key.into(),
                found: if found.is_empty() {
                    "no arrays".into()
                } else {
                    found.join(", ")
                },
            });
        };
        let mut entry = self
            .zip
            .by_index(index)
            .map_err(|e| NpzError::Zip(format!("{key}.npy: {e}")))?;
        let cap = self.entry_cap;
        let too_large = |size| NpzError::EntryTooLarge {
            key: key.into(),
            size,
            cap: cap as u64,
        };
        if entry.size() > cap as u64 {
            return Err(too_large(entry.size()));
        }
        // The declared size is only a hint: a 200-byte archive may claim 256 MB, so reserve no
        // more than the archive's bytes could inflate to.
        let reserve = entry
            .size()
            .min((self.archive_bytes as u64).saturating_mul(DEFLATE_MAX_RATIO));
        let mut bytes = Vec::with_capacity(reserve as usize);
        (&mut entry)
            .take(cap as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| NpzError::Zip(format!("{key}.npy: {e}")))?;
        if bytes.len() > cap {
            return Err(too_large(bytes.len() as u64));
        }
        parse_npy(&bytes).map_err(|source| NpzError::Array {
            key: key.into(),
            source,
        })
    }
}

/// Writes arrays (name, `.npy` bytes) as a deflate-compressed `.npz`, like
/// `np.savez_compressed` (used by tests and `dml-lab make-npz`).
pub fn write_npz(arrays: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, npy) in arrays {
        zip.start_file(format!("{name}.npy"), options)
            .expect("writing to memory");
        zip.write_all(npy).expect("writing to memory");
    }
    zip.finish().expect("writing to memory").into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::npy::encode_npy;

    #[test]
    fn round_trips_arrays() {
        let bytes = write_npz(&[
            ("images", encode_npy("|u1", &[2, 2], &[1, 2, 3, 4])),
            ("labels", encode_npy("|u1", &[2, 1], &[0, 1])),
        ]);
        let mut npz = Npz::open(&bytes).unwrap();
        assert_eq!(npz.keys(), vec!["images", "labels"]);
        assert!(npz.has("labels") && !npz.has("other"));
        let a = npz.array("images").unwrap();
        assert_eq!((a.shape, a.data), (vec![2, 2], vec![1, 2, 3, 4]));
        let err = npz.array("train_images").unwrap_err().to_string();
        assert_eq!(
            err,
            "the archive has no array \"train_images\" (it has: images, labels)"
        );
    }

    #[test]
    fn broken_archives_say_what_is_wrong() {
        assert_eq!(Npz::open(&[]).err(), Some(NpzError::Empty));
        let err = |b: &[u8]| Npz::open(b).err().unwrap().to_string();
        assert!(err(b"\x93NUMPY not a zip").starts_with("not a readable .npz (zip) archive"));
        let good = write_npz(&[("x", encode_npy("|u1", &[3], &[1, 2, 3]))]);
        assert!(err(&good[..good.len() / 2]).starts_with("not a readable .npz"));
        // A bad array inside a good archive names the array.
        let bad = write_npz(&[("x", encode_npy("|O", &[1], &[0; 8]))]);
        let e = Npz::open(&bad).unwrap().array("x").unwrap_err().to_string();
        assert!(e.starts_with("array \"x\": object arrays"), "{e}");
    }

    #[test]
    fn a_zip_bomb_is_cut_at_the_cap() {
        // 64 MB of zeros deflate to ~64 KB; the entry's declared size trips a 16 MB cap first.
        let cap = 16 << 20;
        let zeros = encode_npy("|u1", &[64 << 20], &vec![0u8; 64 << 20]);
        let bomb = write_npz(&[("x", zeros)]);
        assert!(bomb.len() < 1_000_000, "{}", bomb.len());
        let e = Npz::open(&bomb)
            .unwrap()
            .with_entry_cap(cap)
            .array("x")
            .unwrap_err();
        assert!(
            matches!(e, NpzError::EntryTooLarge { size, .. } if size > cap as u64),
            "{e}"
        );
    }
}
