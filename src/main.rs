//! One binary, two front ends: the leptos lab in the browser, the CLI natively.

#[cfg(target_arch = "wasm32")]
fn main() {
    dml_lab::ui::start();
}

#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    dml_lab::cli::main()
}
