#!/usr/bin/python3
"""Plots xrnn-gradflow output (Debian: python3-matplotlib).

  plot_gradflow.py probe DIR... [--out PNG]   ||dL/dh_t|| relative to the final step vs lag, log axis,
                                           one line per configuration (dashed: ||dL/dc_t|| of LSTMs)
  plot_gradflow.py train DIR... [--out PNG]   test loss vs training step, one panel per sequence
                                           length, one colour per configuration, one line per seed
"""
import argparse
import csv
import math
import os
import sys
from collections import OrderedDict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_rows(directories, name, required=True):
    rows = []
    for d in directories:
        path = os.path.join(d, name)
        if not os.path.exists(path):
            if required:
                sys.exit(f"plot_gradflow: {path} not found (run xrnn-gradflow with --out {d} first)")
            continue
        with open(path, newline="") as f:
            rows += list(csv.DictReader(f))
    return rows


def probe(directories, out):
    rows = read_rows(directories, "probe.csv")
    runs = OrderedDict()
    for r in rows:
        key = (r["config"], r["seq_len"], r["seed"])
        runs.setdefault(key, []).append(r)
    seq_lens = {k[1] for k in runs}
    seeds = {k[2] for k in runs}
    fig, ax = plt.subplots(figsize=(9, 5.5))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, ((config, T, seed), rs) in enumerate(runs.items()):
        label = config + (f" T={T}" if len(seq_lens) > 1 else "") + (f" seed {seed}" if len(seeds) > 1 else "")
        last = float(rs[-1]["log10_dh"])  # lag 0: the step the loss sits on
        lag = [int(r["lag"]) for r in rs]
        color = colors[i % len(colors)]
        for col, style, suffix in (("log10_dh", "-", ""), ("log10_dc", "--", " (c)")):
            if not rs[0][col]:
                continue
            ref = float(rs[-1][col]) if col == "log10_dc" else last
            pts = [(l, float(r[col]) - ref) for l, r in zip(lag, rs) if math.isfinite(float(r[col]))]
            if not pts or not math.isfinite(ref):
                continue
            ax.plot([p[0] for p in pts], [10 ** max(p[1], -300) for p in pts], style, color=color,
                    label=label + suffix, lw=1.4)
    ax.set_yscale("log")
    ax.set_xlabel("lag T - t (steps back from the loss on the final step)")
    ax.set_ylabel("||dL/dh_t|| / ||dL/dh_T||")
    ax.set_title("Gradient flow at initialisation (xrnn-gradflow probe)")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=7, ncol=2 if len(runs) > 8 else 1)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


def train(directories, out):
    rows = read_rows(directories, "train.csv")
    summary = {}
    for r in read_rows(directories, "train_summary.csv", required=False):
        summary[r["seq_len"]] = float(r["baseline_loss"])
    seq_lens = sorted({int(r["seq_len"]) for r in rows})
    configs = list(OrderedDict.fromkeys(r["config"] for r in rows))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    fig, axes = plt.subplots(1, len(seq_lens), figsize=(5 * len(seq_lens), 4.2), squeeze=False, sharey=True)
    for ax, T in zip(axes[0], seq_lens):
        labelled = set()
        for r_config in configs:
            color = colors[configs.index(r_config) % len(colors)]
            seeds = OrderedDict()
            for r in rows:
                if r["config"] == r_config and int(r["seq_len"]) == T:
                    seeds.setdefault(r["seed"], []).append(r)
            for rs in seeds.values():
                ax.plot([int(r["step"]) for r in rs], [float(r["test_loss"]) for r in rs], color=color, lw=1.1,
                        label=None if r_config in labelled else r_config)
                labelled.add(r_config)
        if str(T) in summary:
            ax.axhline(summary[str(T)], color="gray", ls=":", lw=1, label="baseline (input-blind)")
        ax.set_yscale("log")
        ax.set_title(f"T = {T}")
        ax.set_xlabel("training step")
        ax.grid(True, alpha=0.3)
    axes[0][0].set_ylabel("test loss")
    axes[0][-1].legend(fontsize=7)
    fig.suptitle("xrnn-gradflow train: test loss per configuration (one line per seed)")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kind", choices=["probe", "train"])
    p.add_argument("directory", nargs="+", help="--out folder(s) of xrnn-gradflow (rows are concatenated)")
    p.add_argument("--out", help="PNG to write (default: <first DIR>/<kind>.png)")
    a = p.parse_args()
    out = a.out or os.path.join(a.directory[0], a.kind + ".png")
    (probe if a.kind == "probe" else train)(a.directory, out)


if __name__ == "__main__":
    main()
