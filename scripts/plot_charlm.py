#!/usr/bin/python3
"""Plots xrnn-charlm training runs (Debian: python3-matplotlib): validation loss against wall-clock
minutes, one line per run, from each run's <out>/metrics.jsonl.

  plot_charlm.py RUN_DIR[=LABEL]... [--out PNG] [--target 1.42]
"""
import argparse
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_run(directory):
    path = os.path.join(directory, "metrics.jsonl")
    if not os.path.exists(path):
        sys.exit(f"plot_charlm: {path} not found (train with --out {directory} first)")
    minutes, val = [], []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            try:
                r = json.loads(line)
            except json.JSONDecodeError as e:
                sys.exit(f"plot_charlm: {path}:{n}: not JSON ({e})")
            if r.get("type") == "monitor" or "val_loss" not in r:
                continue  # gradient-monitor records share the log
            minutes.append(r["seconds"] / 60.0)
            val.append(r["val_loss"])
    if not val:
        sys.exit(f"plot_charlm: {path} has no evaluations yet")
    return minutes, val


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", help="run folders (xrnn-charlm train --out), optionally DIR=LABEL")
    ap.add_argument("--out", default="charlm_curves.png")
    ap.add_argument("--target", type=float, default=None, help="draw a horizontal line at this loss")
    args = ap.parse_args()
    fig, ax = plt.subplots(figsize=(8, 5))
    for spec in args.runs:
        d, _, label = spec.partition("=")
        minutes, val = read_run(d)
        best = min(val)
        ax.plot(minutes, val, marker="o", markersize=3, label=f"{label or os.path.basename(d.rstrip('/'))} (best {best:.4f})")
    if args.target is not None:
        ax.axhline(args.target, color="gray", linestyle="--", linewidth=1, label=f"target {args.target}")
    ax.set_xlabel("wall-clock minutes (evaluations included)")
    ax.set_ylabel("validation loss (nats/char)")
    lo = min(min(read_run(s.partition("=")[0])[1]) for s in args.runs)
    ax.set_ylim(lo - 0.02, lo + 0.25)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"plot_charlm: wrote {args.out}")


if __name__ == "__main__":
    main()
