#!/usr/bin/python3
"""Which activation does an acoustic model want? Sweeps the candidate and gate activations of the
bidirectional GRU and LSTM digit recogniser (xrnn-speech) at a fixed wall-clock budget per run,
over several seeds, and records per run: the digit error rate on both test sets, training speed
(utterances/s), the clip fraction and the gradient monitor's diagnoses and horizons over
training. Writes results.jsonl (one line per run; a rerun skips the runs already there, so an
interrupted study loses nothing), table.md (medians over seeds) and error_vs_activation.png.

usage: scripts/speech_activation_study.py --features FEAT --corpus CORPUS [--out runs/speech_study]
         [--budget 60] [--seeds 1,2,3] [--cells gru,lstm] [--gates sigmoid,hard_sigmoid]
         [--activations tanh,relu,leaky_relu,elu,softsign,swish,mish,gelu] [--jobs 2]
       scripts/speech_activation_study.py --report-only --out DIR   (table and plot from results.jsonl)
Each run trains with one thread; --jobs runs go side by side (two single-threaded runs use two
cores better than one run with two threads on these small products).
"""
import argparse
import concurrent.futures
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_one(a, cell, act, gate, seed):
    name = f"{cell}_{act}_{gate}_s{seed}"
    out = os.path.join(a.out, "runs", name)
    subprocess.run(["rm", "-rf", out], check=True)
    t0 = time.time()
    tr = subprocess.run([a.xrnn, "train", "--features", a.features, "--cell", cell, "--activation", act,
                         "--recurrent-activation", gate, "--seed", str(seed), "--time-budget", str(a.budget),
                         "--hidden-size", str(a.hidden_size), "--num-layers", str(a.num_layers),
                         "--threads", "1", "--monitor-every", str(a.monitor_every), "--out", out],
                        capture_output=True, text=True)
    rec = {"cell": cell, "activation": act, "gate": gate, "seed": seed, "budget": a.budget,
           "hidden_size": a.hidden_size, "num_layers": a.num_layers, "train_rc": tr.returncode,
           "wall_seconds": round(time.time() - t0, 1)}
    epochs, monitors = [], []
    metrics = os.path.join(out, "metrics.jsonl")
    if os.path.exists(metrics):
        for line in open(metrics):
            j = json.loads(line)
            (monitors if j.get("type") == "monitor" else epochs).append(j)
    if epochs:
        last = epochs[-1]
        rec["steps"] = last["step"]
        rec["train_seconds"] = last["seconds"]
        rec["utts_per_s"] = round(last["step"] * 32 / max(last["seconds"], 1e-9), 1)  # batch 32 (xrnn-speech's default)
        rec["best_val_loss"] = min(e["val_loss"] for e in epochs if e["val_loss"] is not None) if any(
            e["val_loss"] is not None for e in epochs) else None
    if monitors:
        rec["clip_fraction"] = round(statistics.mean(m["clip_fraction"] for m in monitors), 4)
        diag = {}
        for m in monitors:
            diag[m["diagnosis"]] = diag.get(m["diagnosis"], 0) + 1
        rec["diagnoses"] = diag
        # per report: the shortest horizon of any layer/direction (-1 = the gradient did not fall
        # below epsilon within the utterance: longer than T, counted as T)
        hs = []
        for m in monitors:
            h = [l["horizon"] if l["horizon"] >= 0 else l["steps"] for l in m["layers"]]
            if h:
                hs.append(min(h))
        rec["horizon_median"] = statistics.median(hs) if hs else None
        rec["horizon_first"] = hs[0] if hs else None
        rec["horizon_last"] = hs[-1] if hs else None
    best = os.path.join(out, "best.ckpt")
    if os.path.exists(best):
        ev = subprocess.run([a.xrnn, "eval", "--model", best, "--corpus", a.corpus, "--threads", "1",
                             "--json", os.path.join(out, "eval.json")], capture_output=True, text=True)
        if ev.returncode == 0:
            rec["scores"] = json.load(open(os.path.join(out, "eval.json")))
        else:
            rec["eval_error"] = ev.stderr.strip()[-300:]
    if tr.returncode not in (0,):
        rec["train_error"] = tr.stderr.replace("\r", "\n").strip().splitlines()[-1][-300:] if tr.stderr.strip() else ""
    return rec


def der(r, split):
    s = r.get("scores", {}).get(split)
    return 100 * s["digit_error_rate"] if s else 100.0  # no model (diverged at once): every digit wrong


def report(a):
    path = os.path.join(a.out, "results.jsonl")
    rows = [json.loads(l) for l in open(path)] if os.path.exists(path) else []
    if not rows:
        sys.exit(f"speech_activation_study: no results in {path}")
    groups = {}
    for r in rows:
        groups.setdefault((r["cell"], r["gate"], r["activation"]), []).append(r)
    lines = ["| cell | gate | candidate | seeds | DER held-out voices % (median, min-max) | DER held-out accent % | "
             "isolated acc % | utts/s | clip fraction | diagnoses (monitor reports) | horizon (median, steps) | diverged |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for (cell, gate, act), rs in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], statistics.median(der(r, "test") for r in kv[1]))):
        d = [der(r, "test") for r in rs]
        acc = [der(r, "test_accent") for r in rs]
        iso = [100 * r["scores"]["test_isolated"]["string_accuracy"] for r in rs if "scores" in r and "test_isolated" in r["scores"]]
        ups = [r["utts_per_s"] for r in rs if "utts_per_s" in r]
        cf = [r["clip_fraction"] for r in rs if "clip_fraction" in r]
        diag = {}
        for r in rs:
            for k, v in r.get("diagnoses", {}).items():
                diag[k] = diag.get(k, 0) + v
        hz = [r["horizon_median"] for r in rs if r.get("horizon_median") is not None]
        div = sum(r["train_rc"] == 3 for r in rs)
        med = lambda v, f="{:.2f}": f.format(statistics.median(v)) if v else "-"
        lines.append(f"| {cell} | {gate} | {act} | {len(rs)} | {med(d)} ({min(d):.2f}-{max(d):.2f}) | {med(acc)} | {med(iso, '{:.1f}')} | "
                     f"{med(ups, '{:.0f}')} | {med(cf, '{:.3f}')} | {', '.join(f'{k} {v}' for k, v in sorted(diag.items()))} | "
                     f"{med(hz, '{:.0f}')} | {div} |")
    table = "\n".join(lines) + "\n"
    open(os.path.join(a.out, "table.md"), "w").write(table)
    print(table)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(no matplotlib: python3-matplotlib draws the plot)", file=sys.stderr)
        return
    cells = sorted({k[0] for k in groups})
    acts = [x for x in a.activations.split(",") if any(k[2] == x for k in groups)]
    gates = sorted({k[1] for k in groups}, reverse=True)
    fig, axes = plt.subplots(1, len(cells), figsize=(6.5 * len(cells), 4.2), sharey=True, squeeze=False)
    for ax, cell in zip(axes[0], cells):
        for gi, gate in enumerate(gates):
            off = (gi - (len(gates) - 1) / 2) * 0.25
            for xi, act in enumerate(acts):
                rs = groups.get((cell, gate, act), [])
                if not rs:
                    continue
                d = [max(der(r, "test"), 0.01) for r in rs]
                ax.scatter([xi + off] * len(d), d, s=14, color=f"C{gi}", alpha=0.7,
                           label=f"gate {gate}" if xi == 0 else None)
                ax.plot([xi + off - 0.1, xi + off + 0.1], [statistics.median(d)] * 2, color=f"C{gi}", lw=2)
        ax.set_yscale("log")
        ax.set_xticks(range(len(acts)))
        ax.set_xticklabels(acts, rotation=30)
        ax.axhline(2.0, color="grey", ls=":", lw=1)
        ax.set_title(f"Bi{cell.upper()} {rows[0]['num_layers']}x{rows[0]['hidden_size']}, {rows[0]['budget']} s per run, 1 thread")
        ax.grid(alpha=0.3, which="both", axis="y")
        ax.legend(fontsize=8)
    axes[0][0].set_ylabel("digit error rate, held-out voices (%)\n(dots: seeds, bar: median; 100 = no model)")
    fig.suptitle("Candidate activation of the acoustic model (dotted: the 2% target)")
    fig.tight_layout()
    png = os.path.join(a.out, "error_vs_activation.png")
    fig.savefig(png, dpi=110)
    print(f"wrote {png}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--features")
    ap.add_argument("--corpus")
    ap.add_argument("--out", default="runs/speech_study")
    ap.add_argument("--budget", type=float, default=60)
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--cells", default="gru,lstm")
    ap.add_argument("--gates", default="sigmoid,hard_sigmoid")
    ap.add_argument("--activations", default="tanh,relu,leaky_relu,elu,softsign,swish,mish,gelu")
    ap.add_argument("--hidden-size", type=int, default=128)
    ap.add_argument("--num-layers", type=int, default=2)
    ap.add_argument("--monitor-every", type=int, default=50)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--xrnn", default=os.path.join(ROOT, "build", "tools", "xrnn-speech"))
    ap.add_argument("--report-only", action="store_true")
    a = ap.parse_args()
    if a.report_only:
        return report(a)
    if not (a.features and a.corpus):
        sys.exit("speech_activation_study: --features and --corpus are required (xrnn-speech prepare makes FEAT)")
    if not os.access(a.xrnn, os.X_OK):
        sys.exit(f"speech_activation_study: {a.xrnn} not found; build first (meson compile -C build)")
    if not (a.budget > 0 and a.jobs >= 1):
        sys.exit("speech_activation_study: --budget must be > 0 and --jobs >= 1")
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, "results.jsonl")
    done = set()
    if os.path.exists(path):
        for l in open(path):
            r = json.loads(l)
            done.add((r["cell"], r["activation"], r["gate"], r["seed"]))
    todo = [(c, x, g, int(s)) for s in a.seeds.split(",") for c in a.cells.split(",")
            for g in a.gates.split(",") for x in a.activations.split(",") if (c, x, g, int(s)) not in done]
    print(f"{len(todo)} runs to go ({len(done)} done), about {len(todo) * (a.budget + 15) / a.jobs / 60:.0f} min", file=sys.stderr)
    t0 = time.time()
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool, open(path, "a") as f:
        futs = {pool.submit(run_one, a, *t): t for t in todo}
        for k, fut in enumerate(concurrent.futures.as_completed(futs), 1):
            r = fut.result()
            f.write(json.dumps(r) + "\n")
            f.flush()
            print(f"[{k}/{len(todo)} {time.time() - t0:.0f} s] {r['cell']} {r['activation']}/{r['gate']} seed {r['seed']}: "
                  f"DER {der(r, 'test'):.2f}% (accent {der(r, 'test_accent'):.2f}%), {r.get('utts_per_s', 0):.0f} utt/s, "
                  f"rc {r['train_rc']}", file=sys.stderr)
    report(a)


if __name__ == "__main__":
    main()
