#!/usr/bin/env bash
# Times dml-lab (release build, every CPU backend built in) and the PyTorch reference on this
# machine, one after the other with the same models, batch and steps, and prints the ratios.
#   bench/run.sh [--steps N] [--models dml,dml-ae]      (extra flags go to both benchmarks)
# PyTorch: the python in $PYTHON (default: python3) must import torch and numpy.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
PYTHON="${PYTHON:-python3}"
out="${BENCH_OUT:-$DML_LAB_CACHE/bench}"
mkdir -p "$out"
cargo build --release --quiet
bin="$CARGO_TARGET_DIR/release/dml-lab"
"$PYTHON" bench/torch_bench.py "$@" >"$out/pytorch-cpu.jsonl"
"$bin" bench --backend ndarray "$@" >"$out/ndarray.jsonl"
"$bin" bench --backend flex "$@" >"$out/flex.jsonl"
echo
"$PYTHON" bench/compare.py "$out/pytorch-cpu.jsonl" "$out/ndarray.jsonl" "$out/flex.jsonl"
echo "(JSON lines in $out; $(nproc) cores, $("$PYTHON" -c 'import torch; print("torch", torch.__version__)'))"
