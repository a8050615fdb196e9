#!/usr/bin/env python3
"""The GPU table of docs/bench.md from bench/gpu.sh's results folder: steps/s per model family
for WebGPU (Dawn), native wgpu (with fusion when measured) and PyTorch CUDA, the WebGPU/native
ratio, the GPU work per step where it was counted (dispatches, submits, readbacks, pipelines
created after the warm-up) beside the time, then the full run's first-scatter time and
accuracy against the CPU.

    python3 bench/gpu_table.py bench/results/gpu-2026-12-02
"""
import json
import os
import sys


def lines(path):
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        rows = [json.loads(l) for l in f if l.strip().startswith("{")]
    return {r["model"]: r for r in rows}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    dawn = {}
    if os.path.exists(f"{out}/dawn.json"):
        with open(f"{out}/dawn.json") as f:
            dawn = json.load(f)
    columns = [
        ("WebGPU (Dawn)", {b["model"]: b for b in dawn.get("bench", [])}),
        ("native wgpu", lines(f"{out}/wgpu.jsonl")),
        ("native wgpu + fusion", lines(f"{out}/wgpu-fusion.jsonl")),
        ("PyTorch CUDA", lines(f"{out}/cuda.jsonl")),
    ]
    columns = [(n, c) for n, c in columns if c]
    traced = ("native wgpu (counted)", lines(f"{out}/wgpu-counts.jsonl"))
    models = ["dml", "dml-ae", "dml-unit-prior", "dml-gmm-prior", "metric-vae"]
    head = ["model"] + [f"{n} steps/s" for n, _ in columns] + ["WebGPU / native wgpu"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for m in models:
        cells = [m] + [f"{c[m]['steps_per_s']:.1f}" if m in c else "–" for _, c in columns]
        web, native = dict(columns).get("WebGPU (Dawn)", {}), dict(columns).get("native wgpu", {})
        ratio = f"{web[m]['steps_per_s'] / native[m]['steps_per_s']:.2f}x" if m in web and m in native else "–"
        print("| " + " | ".join(cells + [ratio]) + " |")
    counted = [(n, c) for n, c in columns + [traced] if any("gpu" in r for r in c.values())]
    if counted:
        print()
        print("| model | counted by | ms/step (not comparable when traced) | dispatches/step "
              "| submits/step | readbacks/step | pipelines after warm-up |")
        print("|---|---|---|---|---|---|---|")
        for m in models:
            for name, c in counted:
                r = c.get(m)
                if not r or "gpu" not in r:
                    continue
                g = r["gpu"]
                print(f"| {m} | {name} | {1e3 / r['steps_per_s']:.1f} | {g['dispatches_per_step']:.0f} | "
                      f"{g['submits_per_step']:.1f} | {g['maps_per_step']:.2f} | "
                      f"{g['pipelines_after_warmup']:.0f} |")
    runs = dawn.get("runs", {})
    if runs:
        print()
        print("| full run (page defaults) | first scatter | total | ms/step | kNN accuracy / AMI |")
        print("|---|---|---|---|---|")
        for name, r in runs.items():
            if "error" in r:
                print(f"| {name} | – | – | – | {r['error']} |")
                continue
            print(f"| {r['detail']} | {r['first_scatter_s']:.1f} s | {r['total_s']:.1f} s | "
                  f"{r['ms_per_step']:.1f} | {r['knn_accuracy']:.4f} / {r['knn_ami']:.4f} |")
    if "adapter" in dawn:
        print(f"\nAdapter (Dawn): {dawn['adapter']}; software: {dawn.get('software')}.")


if __name__ == "__main__":
    main()
