//! `dml-lab make-npz`: writes a small synthetic file in exactly OrganAMNIST's `.npz` layout
//! (keys, dtypes, shapes, 11 classes) to try the OrganAMNIST path without the real file.

use std::path::PathBuf;

use clap::Args;

use crate::data::medmnist::synthetic_organamnist_npz;

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
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

pub fn run(args: MakeNpzArgs) -> Result<(), String> {
    if args.train == 0 || args.test == 0 || args.train + args.val + args.test > 200_000 {
        return Err(
            "--train and --test must be at least 1, and all splits together at most 200000".into(),
        );
    }
    let bytes = synthetic_organamnist_npz(args.train, args.val, args.test, args.seed);
    std::fs::write(&args.out, &bytes).map_err(|e| format!("{}: {e}", args.out.display()))?;
    eprintln!(
        "wrote {} ({} bytes): {} train, {} val, {} test images, 11 classes (synthetic blobs, OrganAMNIST layout)",
        args.out.display(),
        bytes.len(),
        args.train,
        args.val,
        args.test
    );
    Ok(())
}
