#!/usr/bin/python3
# %% [markdown]
# # How far back does the gradient reach, per activation?
#
# A notebook-style script (`# %%` cells: run it whole, or cell by cell in VS Code / Jupytext).
# For one cell kind, an untrained network per activation gets a loss on its last step only, and
# `xrnn.gradflow.probe` records ||dL/dh_t|| for every earlier step t (in double precision, so
# even 100 orders of magnitude are kept). The plot shows it relative to the last step, against
# the lag T - t, on a log axis: a straight line falling by a factor eta per step is Pascanu et
# al.'s vanishing gradient, eta ~ sigma_max(W_hh) * mean |a'| for the vanilla RNN.
#
#   PYTHONPATH=build/python /usr/bin/python3 examples/gradflow_activations.py --cell rnn --out act.png
#
# Needs the Python module (meson builds it into build/python) and python3-matplotlib.

# %%
import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import xrnn  # noqa: E402

ap = argparse.ArgumentParser(description=__doc__)
ap.add_argument("--cell", default="rnn", help="rnn, gru, lstm or lstm_peephole")
ap.add_argument("--activation", default="tanh,relu,leaky_relu,elu,softsign,hard_sigmoid,sigmoid,swish,gelu,softplus",
                help="candidate activations, comma-separated (xrnn.activations() lists them)")
ap.add_argument("--init", default="orthogonal", help="W_hh initialisation: uniform, orthogonal, identity")
ap.add_argument("--seq-len", type=int, default=100)
ap.add_argument("--hidden-size", type=int, default=64)
ap.add_argument("--batch-size", type=int, default=16)
ap.add_argument("--out", default="gradflow_activations.png")
args, _ = ap.parse_known_args()  # a notebook kernel passes its own arguments

# %% probe: one untrained network per activation, ||dL/dh_t|| of a final-step loss
runs = xrnn.gradflow.probe(cell=args.cell, activation=args.activation.split(","), init=args.init,
                           seq_len=args.seq_len, hidden_size=args.hidden_size, batch_size=args.batch_size)
for r in runs:
    print(f"{r['activation']:>12}: per-step rate {r['per_step_rate']:.3f}, "
          f"log10 ||dL/dh_1|| / ||dL/dh_T|| = {r['log10_decay']:.1f}, {r['diagnosis']}")

# %% plot: relative to the last step, against the lag, log y
fig, ax = plt.subplots(figsize=(8, 5))
for r in sorted(runs, key=lambda r: -r["log10_decay"]):
    rel = r["dh"] / r["dh"][-1]
    lag = args.seq_len - r["t"]
    ok = rel > 0  # a norm that underflowed even in double has no point on a log axis
    ax.semilogy(lag[ok], rel[ok], label=f"{r['activation']} ({r['per_step_rate']:.2f}/step)")
ax.set_xlabel("lag T - t (steps back from the loss)")
ax.set_ylabel("||dL/dh_t|| / ||dL/dh_T||")
ax.set_title(f"{args.cell}, {args.init} W_hh, H = {args.hidden_size}, T = {args.seq_len}, at initialisation")
ax.grid(True, which="major", alpha=0.3)
ax.legend(fontsize=8, loc="lower left")
fig.tight_layout()
fig.savefig(args.out, dpi=110)
print(f"wrote {args.out}")
