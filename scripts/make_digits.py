#!/usr/bin/python3
"""Synthesises a connected-digit speech corpus (TIDIGITS-like) with espeak-ng and sox.

Every utterance is a string of 1-7 digit words ("zero" and "oh" both for 0, as TIDIGITS has
them) spoken by one voice, an espeak-ng accent x voice variant pair, at a random speed and
pitch. sox resamples it to 16 kHz mono 16-bit and perturbs its tempo; white noise is added at a
random SNR. The seed fixes every choice, so the same command gives the same files.

Splits, by speaker (voice):
  train             connected digits + isolated digits, training voices
  test              held-out voices of the training accents (never in train)
  test_accent       every voice of one accent held out entirely (the harder test)
Each split has connected strings and isolated digits (one word per file); list files
<split>.tsv ("wav path<TAB>words<TAB>voice<TAB>kind") and <split>_isolated.tsv name them.
manifest.json records the counts, hours of audio, voices and every setting.

The corpus is written to OUT.tmp and renamed to OUT at the end, so an interrupted run leaves
no half-written corpus behind.

Needs the Debian packages espeak-ng, sox and python3-numpy.
usage: scripts/make_digits.py --out data/digits [--seed 1] [--train 6000] [--test 600] ...
"""
import argparse
import json
import math
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import time
import wave

import numpy as np

WORDS = ["oh", "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
ACCENTS = ["en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd",
           "en-us-nyc", "en-029"]
VARIANTS = ["m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5", "croak",
            "whisper", "klatt", "klatt2", "klatt3", "klatt4", "Alex", "Annie", "belinda", "max",
            "quincy", "steph"]
RATE = 16000


def need(tool, package):
    if shutil.which(tool) is None:
        sys.exit(f"make_digits: {tool} not found; install the Debian package {package}")


def digit_string(rng, n):
    words = []
    for _ in range(n):
        d = rng.randrange(10)
        words.append(("oh" if rng.random() < 0.5 else "zero") if d == 0 else WORDS[d + 1])
    return words


def synthesise(job):
    """One utterance: espeak-ng -> sox (16 kHz, tempo) -> noise at the SNR -> 16-bit WAV."""
    path, words, voice, speed, pitch, tempo, snr, seed = job
    text = " ".join(words)
    speak = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", text],
                           capture_output=True, check=True)
    # -R: repeatable (sox seeds its dither and effects randomly otherwise); -D: no dither
    conv = subprocess.run(["sox", "-R", "-D", "-t", "wav", "-", "-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed-integer",
                           "-t", "raw", "-", "tempo", f"{tempo:.3f}"],
                          input=speak.stdout, capture_output=True, check=True)
    x = np.frombuffer(conv.stdout, dtype="<i2").astype(np.float64)
    if x.size == 0:
        raise RuntimeError(f"espeak-ng/sox produced no audio for voice {voice}: {text!r}")
    if snr is not None:
        power = np.mean(x * x)
        noise = np.random.default_rng(seed).standard_normal(x.size)
        x = x + noise * np.sqrt(power / (10.0 ** (snr / 10.0)))
    y = np.clip(np.round(x), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(y.tobytes())
    return y.size


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="corpus folder to create (must not exist)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--train", type=int, default=6000, help="connected-digit utterances in train")
    ap.add_argument("--test", type=int, default=600, help="connected-digit utterances in each test set")
    ap.add_argument("--isolated-train", type=int, default=1000)
    ap.add_argument("--isolated-test", type=int, default=300)
    ap.add_argument("--held-out-accent", default="en-029", choices=ACCENTS)
    ap.add_argument("--test-voice-fraction", type=float, default=0.2,
                    help="share of the other accents' voices held out for the test set")
    ap.add_argument("--max-digits", type=int, default=7)
    ap.add_argument("--snr", type=float, nargs=2, default=[10.0, 30.0], metavar=("LO", "HI"),
                    help="white-noise SNR range in dB (uniform)")
    ap.add_argument("--clean-fraction", type=float, default=0.2, help="share of utterances without noise")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    a = ap.parse_args()
    need("espeak-ng", "espeak-ng")
    need("sox", "sox")
    for name in ("train", "test", "isolated_train", "isolated_test", "max_digits", "jobs"):
        if getattr(a, name) < (1 if name in ("max_digits", "jobs") else 0):
            sys.exit(f"make_digits: --{name.replace('_', '-')} must be >= {1 if name in ('max_digits', 'jobs') else 0}")
    lo, hi = a.snr
    if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
        sys.exit(f"make_digits: --snr needs two finite numbers LO <= HI (dB), got {lo} {hi}")
    if not (0.0 <= a.clean_fraction <= 1.0):
        sys.exit(f"make_digits: --clean-fraction must be in [0, 1], got {a.clean_fraction}")
    if not (0.0 < a.test_voice_fraction < 1.0):
        sys.exit("make_digits: --test-voice-fraction must be in (0, 1)")
    if os.path.exists(a.out):
        sys.exit(f"make_digits: {a.out} exists; remove it or choose another --out")

    rng = random.Random(a.seed)
    voices = {acc: [f"{acc}+{v}" for v in VARIANTS] for acc in ACCENTS}
    seen = [v for acc in ACCENTS if acc != a.held_out_accent for v in voices[acc]]
    rng.shuffle(seen)
    n_test = max(1, round(len(seen) * a.test_voice_fraction))
    split_voices = {"test": sorted(seen[:n_test]), "train": sorted(seen[n_test:]),
                    "test_accent": voices[a.held_out_accent]}

    tmp = a.out.rstrip("/") + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    jobs, lists = [], {}
    plan = [("train", a.train, a.isolated_train), ("test", a.test, a.isolated_test),
            ("test_accent", a.test, a.isolated_test)]
    for split, n_conn, n_iso in plan:
        os.makedirs(os.path.join(tmp, "wav", split))
        for kind, n in (("connected", n_conn), ("isolated", n_iso)):
            rows = []
            for i in range(n):
                words = digit_string(rng, 1 if kind == "isolated" else rng.randint(1, a.max_digits))
                voice = rng.choice(split_voices[split])
                speed, pitch = rng.randint(130, 210), rng.randint(20, 80)
                tempo = rng.uniform(0.9, 1.1)
                snr = None if rng.random() < a.clean_fraction else rng.uniform(*a.snr)
                rel = os.path.join("wav", split, f"{kind[0]}{i:05d}.wav")
                jobs.append((os.path.join(tmp, rel), words, voice, speed, pitch, tempo, snr,
                             rng.getrandbits(63)))
                rows.append(f"{rel}\t{' '.join(words)}\t{voice}\t{kind}")
            lists[split + ("_isolated" if kind == "isolated" else "")] = rows

    start, samples = time.time(), []
    with multiprocessing.Pool(a.jobs) as pool:
        for k, n in enumerate(pool.imap(synthesise, jobs, chunksize=16)):
            samples.append(n)
            if (k + 1) % 500 == 0 or k + 1 == len(jobs):
                print(f"\r{k + 1}/{len(jobs)} utterances, {time.time() - start:.0f} s", end="", file=sys.stderr)
    print(file=sys.stderr)

    for name, rows in lists.items():
        with open(os.path.join(tmp, name + ".tsv"), "w") as f:
            f.write("\n".join(rows) + ("\n" if rows else ""))
    counts, hours, pos = {}, {}, 0
    for name in lists:
        n = len(lists[name])
        counts[name] = n
        hours[name] = round(sum(samples[pos:pos + n]) / RATE / 3600, 3)
        pos += n
    manifest = {"seed": a.seed, "sample_rate": RATE, "words": WORDS, "counts": counts, "hours": hours,
                "total_hours": round(sum(samples) / RATE / 3600, 3), "voices": split_voices,
                "held_out_accent": a.held_out_accent, "snr_db": a.snr, "clean_fraction": a.clean_fraction,
                "max_digits": a.max_digits, "speed_wpm": [130, 210], "pitch": [20, 80], "tempo": [0.9, 1.1],
                "espeak_ng": subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True).stdout.strip(),
                "seconds": round(time.time() - start, 1)}
    with open(os.path.join(tmp, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    os.rename(tmp, a.out)
    print(f"{a.out}: {sum(counts.values())} utterances, {manifest['total_hours']} h of audio, "
          f"{json.dumps(counts)}", file=sys.stderr)


if __name__ == "__main__":
    main()
