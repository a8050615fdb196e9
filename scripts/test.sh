#!/usr/bin/env bash
# Sets up (if needed) and runs every test: native unit and CLI tests (real MNIST training),
# then the page build and the browser end-to-end tests (CPU and WebGPU in headless Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/env.sh
step() { printf '\n\033[1m== %s\033[0m (%s)\n' "$*" "$(date +%T)"; }

step "native tests (unit + CLI)"
cargo test --locked

step "page build (trunk, web profile)"
trunk build

step "browser end-to-end tests (headless chromium)"
node --test --test-concurrency=1 tests/e2e/
step "all tests passed"
