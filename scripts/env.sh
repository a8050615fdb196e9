# Sourced by the other scripts: where builds are cached and which tools come first on PATH.
# Builds live outside the clone (a fresh machine simply starts with an empty cache).
export DML_LAB_CACHE="${DML_LAB_CACHE:-$HOME/.cache/dml-lab}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$DML_LAB_CACHE/target}"
# Mesa's Vulkan driver (native wgpu on lavapipe) wants a runtime directory; a shell without a
# login session has none.
if [[ -z "${XDG_RUNTIME_DIR:-}" ]]; then
  export XDG_RUNTIME_DIR="$DML_LAB_CACHE/runtime"
  mkdir -p -m 0700 "$XDG_RUNTIME_DIR"
fi
# wasm-opt from npm binaryen; cargo-installed trunk and wasm-bindgen.
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
export PATH="$repo_root/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
