//! The CLI (natively). The browser's lab is the library itself (a cdylib, see src/lib.rs).

/// The page is the library's wasm module (`src/lib.rs`, Trunk's `data-target-name`); this binary
/// exists on wasm32 only because the package has one.
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    dml_lab::cli::main()
}
