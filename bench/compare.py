#!/usr/bin/env python3
"""Ratio table of two or more benchmark outputs (JSON lines from `dml-lab bench` or
bench/torch_bench.py): steps/s of each against the first file, per model, as Markdown.

    python3 bench/compare.py torch.jsonl ndarray.jsonl [flex.jsonl ...]
"""
import json
import sys


def load(path):
    with open(path) as f:
        lines = [json.loads(l) for l in f if l.strip().startswith("{")]
    if not lines:
        sys.exit(f"{path}: no benchmark lines")
    name = lines[0]["backend"]
    if "threads" in lines[0]:
        name += f" ({lines[0]['threads']} thr)"
    return name, {l["model"]: l for l in lines}


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    runs = [load(p) for p in sys.argv[1:]]
    base_name, base = runs[0]
    models = [m for m in base if all(m in r for _, r in runs[1:])]
    head = ["model"] + [f"{name} steps/s" for name, _ in runs] + [f"{name} / {base_name}" for name, _ in runs[1:]]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for m in models:
        cells = [m] + [f"{r[m]['steps_per_s']:.2f}" for _, r in runs]
        cells += [f"{r[m]['steps_per_s'] / base[m]['steps_per_s']:.2f}x" for _, r in runs[1:]]
        print("| " + " | ".join(cells) + " |")
    peaks = [f"{name} {max((l.get('peak_rss_mib') or 0) for l in r.values()):.0f} MiB" for name, r in runs]
    print("\nPeak resident memory: " + ", ".join(peaks))


if __name__ == "__main__":
    main()
