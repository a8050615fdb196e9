//! `dml-lab make-npz`: writes a small synthetic file in exactly OrganAMNIST's `.npz` layout
//! (keys, dtypes, shapes, 11 classes) to try the OrganAMNIST path without the real file, at
//! 28 pixels or MedMNIST+'s 64, 128 and 224 (`--size`).

use std::path::PathBuf;

use clap::Args;

use crate::data::medmnist::synthetic_medmnist_npz;

#[derive(Args, Debug)]
pub struct MakeNpzArgs {
    /// Where to write the archive.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Training images.
    #[arg(long, default_value_t = 1100)]
    train: usize,
    /// Validation images.
    #[arg(long, default_value_t = 220)]
    val: usize,
    /// Test images.
    #[arg(long, default_value_t = 550)]
    test: usize,
    /// Image side in pixels: 28 (MedMNIST v2), or MedMNIST+'s 64, 128 or 224 (any 4..=512).
    #[arg(long, default_value_t = 28)]
    size: usize,
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

pub fn run(args: MakeNpzArgs) -> Result<(), String> {
    if args.train == 0 || args.test == 0 || args.train + args.val + args.test > 200_000 {
        return Err(
            "--train and --test must be at least 1, and all splits together at most 200000".into(),
        );
    }
    if !(4..=512).contains(&args.size) {
        return Err(format!(
            "--size must be in 4..=512 pixels (MedMNIST+: 28, 64, 128, 224), got {}",
            args.size
        ));
    }
    let images = (args.train + args.val + args.test) as u64 * (args.size * args.size) as u64;
    if images > crate::data::npz::MAX_ENTRY_BYTES as u64 {
        return Err(format!(
            "{} images of {}×{} are {images} bytes, above the {}-byte cap an .npz array may have; write fewer",
            args.train + args.val + args.test,
            args.size,
            args.size,
            crate::data::npz::MAX_ENTRY_BYTES
        ));
    }
    let bytes = synthetic_medmnist_npz(args.train, args.val, args.test, args.size, args.seed);
    std::fs::write(&args.out, &bytes).map_err(|e| format!("{}: {e}", args.out.display()))?;
    eprintln!(
        "wrote {} ({} bytes): {} train, {} val, {} test images of {}×{}, 11 classes (synthetic blobs, OrganAMNIST layout)",
        args.out.display(),
        bytes.len(),
        args.train,
        args.val,
        args.test,
        args.size,
        args.size
    );
    Ok(())
}
