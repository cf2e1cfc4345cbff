#!/bin/sh
# tests/faults/flags.sh -- every numeric flag of every subcommand of the four tools, set to 0, -1,
# nan, inf, -inf, 1e308, a 20-digit integer and (integer flags) 1.5: a value out of the flag's
# range exits 2 with ONE line naming the flag and its range in plain numbers; a value in range
# gets past the flag to the error the rest of the command line is built to hit (a missing
# --data, an unknown --task, a missing checkpoint), so nothing trains or reads data. The flags
# and their ranges are read from each subcommand's --help, so a new flag is covered without
# editing this file. Plus: --help exits 0, an unknown flag, a flag without its value, no
# subcommand and --out '' exit 2 with one line, and a resume with a flag that conflicts with the
# checkpoint is refused naming it while the same value is accepted (issue 15).
# usage: flags.sh xrnn-charlm xrnn-gradflow xrnn-seq xrnn-speech scratch-dir
set -eu
exec /usr/bin/python3 - "$@" <<'PY'
import os, re, shutil, subprocess, sys, time

charlm, gradflow, seq, speech = (os.path.abspath(p) for p in sys.argv[1:5])
tmp = os.path.join(os.path.abspath(sys.argv[5]), "flags")
shutil.rmtree(tmp, ignore_errors=True)
os.makedirs(tmp)
os.chdir(tmp)
missing = os.path.join(tmp, "missing")  # never created
start = time.time()
failures = []
checked = 0


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def one_line_error(cmd, what):
    """exit 2 and exactly one line on stderr; returns the line"""
    rc, _, err = run(cmd)
    lines = err.splitlines()
    if rc != 2 or len(lines) != 1:
        fail(f"{what}: exit {rc} with {len(lines)} stderr lines, expected 2 and one line: {' '.join(cmd)}\n  {err.strip()}")
        return lines[0] if lines else ""
    return lines[0]


# Per subcommand: the arguments that make a run stop, after parsing, at a known error (nothing
# trains, nothing big is read), that error, and the fewest numeric flags --help must show.
tools = {
    "xrnn-charlm": (charlm, {
        "train": ([], r"train needs --data", 26),
        "sample": (["--checkpoint", missing], r"does not exist", 3),
        "eval": (["--checkpoint", missing, "--data", missing], r"does not exist", 0),
        "export": (["--checkpoint", missing, "--out", os.path.join(tmp, "exp")], r"does not exist", 0),
        "import": (["--from", missing, "--out", os.path.join(tmp, "imp.ckpt")], r"not a folder", 0),
    }),
    "xrnn-gradflow": (gradflow, {
        "probe": (["--task", "nosuch"], r"unknown task 'nosuch'", 11),
        "train": (["--task", "nosuch"], r"unknown task 'nosuch'", 17),
    }),
    "xrnn-seq": (seq, {
        "train": ([], r"train needs --train", 20),
        "eval": (["--model", missing, "--data", missing], r"does not exist", 2),
        "predict": (["--model", missing, "--data", missing], r"does not exist", 2),
        "make-data": (["--kind", "nosuch", "--out", os.path.join(tmp, "made")], r"unknown example kind|example lengths need", 4),
        "export": (["--model", missing, "--out", os.path.join(tmp, "exp")], r"does not exist", 0),
        "import": (["--from", missing, "--out", os.path.join(tmp, "imp.ckpt")], r"not a folder", 0),
    }),
    "xrnn-speech": (speech, {
        "prepare": (["--corpus", missing, "--out", os.path.join(tmp, "feat")], r"not a corpus folder|num_ceps must be at most", 6),
        "train": ([], r"train needs --features", 18),
        "eval": (["--model", missing, "--corpus", missing], r"does not exist", 2),
        "predict": (["--model", missing, os.path.join(tmp, "x.wav")], r"does not exist", 1),
    }),
}

NUM = r"-?[0-9][0-9.e+-]*"
flag_re = re.compile(r"^\s+(?:-\w,)?(--[a-z0-9-]+) (INT|UINT|FLOAT|BYTES)(?::([\[(])(" + NUM + r"), (" + NUM + r")\])?")
values = ["0", "-1", "nan", "inf", "-inf", "1e308", "99999999999999999999"]


def expect_ok(kind, bracket, lo, hi, v):
    """whether value text v is in the range --help shows"""
    whole = kind != "FLOAT"
    if kind == "BYTES":
        return v == "0"
    if whole and not re.fullmatch(r"[0-9]+", v):
        return False
    x = float(v)
    if x != x or x in (float("inf"), float("-inf")):
        return False
    return (x > lo if bracket == "(" else x >= lo) and x <= hi


total_flags = 0
for tool, (exe, subs) in tools.items():
    rc, out, _ = run([exe, "--help"])
    if rc != 0:
        fail(f"{tool} --help: exit {rc}")
    listed = re.findall(r"^  ([a-z][a-z-]*) ", out.split("Subcommands:")[-1], re.M)
    if sorted(listed) != sorted(subs):
        fail(f"{tool}: --help lists subcommands {listed}, this test knows {sorted(subs)}")
    line = one_line_error([exe], f"{tool} without a subcommand")
    if "subcommand is required" not in line or tool not in line:
        fail(f"{tool} without a subcommand: {line}")
    for sub, (base, past, fewest) in subs.items():
        rc, out, _ = run([exe, sub, "--help"])
        if rc != 0:
            fail(f"{tool} {sub} --help: exit {rc}")
        flags = [m.groups() for m in map(flag_re.match, out.splitlines()) if m]
        if len(flags) < fewest: # 112 in all when written
            fail(f"{tool} {sub}: --help shows {len(flags)} numeric flags, expected at least {fewest} (has its format changed?)")
        total_flags += len(flags)
        for flag, kind, bracket, lo_s, hi_s in flags:
            lo = float(lo_s) if lo_s else 0.0
            hi = float(hi_s) if hi_s else 0.0
            for v in values + (["1.5"] if kind != "FLOAT" else []):
                checked += 1
                what = f"{tool} {sub} {flag}={v}"
                line = one_line_error([exe, sub] + base + [f"{flag}={v}"], what)
                refused = f"{flag} must be" in line
                if not line.startswith(tool + ": error: "):
                    fail(f"{what}: the line does not start with '{tool}: error: ': {line}")
                if expect_ok(kind, bracket, lo, hi, v):
                    if refused or not re.search(past, line):
                        fail(f"{what}: in range, but did not get past the flag: {line}")
                    continue
                if not refused:
                    fail(f"{what}: out of range but not refused by name: {line}")
                # the range as --help shows it: "from 1 to 65536" or "> 0 and <= 10"
                if kind != "BYTES" and f"from {lo_s} to {hi_s}" not in line and f"> {lo_s} and <= {hi_s}" not in line:
                    fail(f"{what}: the line does not say the range {lo_s} to {hi_s}: {line}")
                if len(max(re.findall(r"[0-9][0-9.e+]*", line) + [""], key=len)) > 25:
                    fail(f"{what}: a number longer than 25 characters: {line}")
        # an unknown flag, a flag without its value, --out ''
        line = one_line_error([exe, sub] + base + ["--no-such-flag"], f"{tool} {sub} --no-such-flag")
        if "--no-such-flag" not in line:
            fail(f"{tool} {sub}: the unknown flag is not named: {line}")
        if flags:
            flag = flags[0][0]
            line = one_line_error([exe, sub] + base + [flag], f"{tool} {sub} {flag} without a value")
            if flag not in line:
                fail(f"{tool} {sub} {flag} without a value: the flag is not named: {line}")
        if re.search(r"^\s+--out ", out, re.M):
            line = one_line_error([exe, sub] + [a for a in base if a != "--out"] + ["--out", ""], f"{tool} {sub} --out ''")
            if "--out must name" not in line:
                fail(f"{tool} {sub} --out '': not refused: {line}")
print(f"ok: {total_flags} numeric flags, {checked} flag/value cases, {time.time() - start:.1f} s")

# ---- resume: a flag that conflicts with the checkpoint is refused naming both values; the
# checkpoint's own value is accepted
corpus = os.path.join(os.path.dirname(charlm), "..", "..", "examples", "data", "tinyshakespeare.txt")
text = open(corpus).read(3000) if os.path.exists(corpus) else "the quick brown fox jumps over the lazy dog\n" * 70
open("small.txt", "w").write(text)
tiny = ["--cell", "gru", "--hidden-size", "16", "--embed-size", "8", "--batch-size", "4", "--seq-len", "16", "--threads", "1"]
rc, _, err = run([charlm, "train", "--data", "small.txt"] + tiny + ["--steps", "3", "--eval-every", "3", "--out", "r"])
if rc != 0:
    fail(f"xrnn-charlm: the tiny run failed: {err}")
line = one_line_error([charlm, "train", "--resume", "r/last.ckpt", "--cell", "lstm", "--hidden-size", "64", "--lr", "0.5", "--steps", "6"],
                      "xrnn-charlm resume with other model flags")
for part in ["--cell lstm (checkpoint: 'gru')", "--hidden-size 64 (checkpoint: 16)", "--lr 0.5", "--data", "--steps", "--max-memory"]:
    if part not in line:
        fail(f"xrnn-charlm resume conflict: '{part}' not in: {line}")
rc, _, err = run([charlm, "train", "--resume", "r/last.ckpt", "--data", "small.txt"] + tiny + ["--steps", "6", "--out", "r"])
if rc != 0:
    fail(f"xrnn-charlm resume with the checkpoint's own flags: exit {rc}: {err}")

rc, _, err = run([seq, "make-data", "--kind", "temporal_order", "--count", "40", "--min-len", "5", "--max-len", "10", "--out", "sdata"])
stiny = ["--train", "sdata/list.txt", "--cell", "gru", "--hidden-size", "8", "--batch-size", "8", "--threads", "1"]
rc, _, err = run([seq, "train"] + stiny + ["--epochs", "1", "--out", "sr"])
if rc != 0:
    fail(f"xrnn-seq: the tiny run failed: {err}")
line = one_line_error([seq, "train", "--resume", "sr/last.ckpt", "--cell", "lstm", "--no-standardize", "--lr-schedule", "cosine", "--epochs", "2"],
                      "xrnn-seq resume with other model flags")
for part in ["--cell lstm (checkpoint: 'gru')", "--no-standardize (checkpoint: standardize true)", "--lr-schedule cosine", "--epochs"]:
    if part not in line:
        fail(f"xrnn-seq resume conflict: '{part}' not in: {line}")
rc, _, err = run([seq, "train", "--resume", "sr/last.ckpt"] + stiny + ["--epochs", "2"])
if rc != 0:
    fail(f"xrnn-seq resume with the checkpoint's own flags: exit {rc}: {err}")
# xrnn-speech resumes through the same trainer: its own flags (--features, --unidirectional) are
# compared too; a conflicting size on the seq checkpoint is enough to see it refused
line = one_line_error([speech, "train", "--resume", "sr/last.ckpt", "--hidden-size", "64"], "xrnn-speech resume with another size")
if "--hidden-size 64 (checkpoint: 8)" not in line:
    fail(f"xrnn-speech resume conflict: {line}")
print(f"ok: resume refuses conflicting flags naming both values and accepts the checkpoint's own ({time.time() - start:.1f} s)")

if failures:
    print(f"flags: {len(failures)} failures")
    sys.exit(1)
print("flags: all passed")
PY
