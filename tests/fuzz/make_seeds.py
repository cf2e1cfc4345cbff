#!/usr/bin/python3
"""Writes the fuzz harnesses' seed corpora, tests/fuzz/corpus/<harness>/: small valid inputs and
a few edge cases each. The char-LM and sequence models are trained by the tools when their paths
are given; everything else is written here (numpy for .npy/.npz, the checkpoint format by hand).

usage: make_seeds.py [--charlm build/tools/xrnn-charlm] [--seq build/tools/xrnn-seq]
The committed corpus was made with both tools; rerunning rewrites it.
"""
import argparse
import io
import json
import os
import shutil
import struct
import subprocess
import tempfile
import wave

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def put(harness, name, data):
    d = os.path.join(CORPUS, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# ---- the checkpoint container (include/xrnn/checkpoint.hpp)

def fnv1a(b):
    h = 1469598103934665603
    for c in b:
        h = ((h ^ c) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def checkpoint(meta, tensors, version=2):
    """tensors: (name, dtype 0 f32 / 1 f64 / 2 u64, values)"""
    out = b"XRNNCKPT" + struct.pack("<I", version) + struct.pack("<Q", len(meta)) + meta.encode()
    out += struct.pack("<I", len(tensors))
    for name, dtype, values in tensors:
        out += struct.pack("<I", len(name)) + name.encode()
        if version >= 2:
            out += struct.pack("<I", dtype)
        out += struct.pack("<Q", len(values)) + struct.pack("<" + "fdQ"[dtype] * len(values), *values)
    return out + struct.pack("<Q", fnv1a(out))


def checkpoint_seeds():
    mixed = checkpoint('{"step": 12}', [("w", 0, [1.5, -2.0, 3.25]), ("d", 1, [0.5]), ("n", 2, [7, 8]),
                                         ("empty", 0, [])])
    put("fuzz_checkpoint", "v2_mixed.ckpt", mixed)
    put("fuzz_checkpoint", "v1_float.ckpt", checkpoint('{"a": []}', [("params", 0, [1, 2, 3])], version=1))
    put("fuzz_checkpoint", "meta_only.ckpt", checkpoint("", []))
    put("fuzz_checkpoint", "truncated.ckpt", mixed[: len(mixed) // 2])
    bad = bytearray(checkpoint("{}", [("x", 0, [1.0])]))
    bad[8] = 9  # a future version
    put("fuzz_checkpoint", "future_version.ckpt", bytes(bad))
    put("fuzz_checkpoint", "not_a_checkpoint", "hello, world\n")


# ---- trained models

def charlm_seeds(tool, tmp):
    text = os.path.join(tmp, "text.txt")
    with open(text, "w") as f:
        f.write("abba cab\nbac a bc\nabc cab\n" * 10)
    runs = {
        "lstm_ema.ckpt": [],
        "gru_sgd_no_ema.ckpt": ["--cell", "gru", "--optimizer", "sgd", "--ema", "0"],
        "rnn_2layers_rmsprop.ckpt": ["--cell", "rnn", "--num-layers", "2", "--optimizer", "rmsprop", "--ema", "0"],
        "peephole_dropout.ckpt": ["--cell", "lstm_peephole", "--dropout", "0.2", "--weight-drop", "0.1"],
    }
    for name, extra in runs.items():
        out = os.path.join(tmp, "charlm_" + name)
        subprocess.run([tool, "train", "--data", text, "--hidden-size", "4", "--embed-size", "2", "--batch-size", "2",
                        "--seq-len", "4", "--steps", "5", "--eval-every", "5", "--threads", "1", "--out", out] + extra,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(os.path.join(out, "best.ckpt"), "rb") as f:
            put("fuzz_charlm_checkpoint", name, f.read())
    with open(os.path.join(tmp, "charlm_lstm_ema.ckpt", "best.ckpt"), "rb") as f:
        b = f.read()
    n = struct.unpack_from("<Q", b, 12)[0]
    meta = json.loads(b[20:20 + n])
    put("fuzz_json_config", "charlm_meta.json", json.dumps(meta))
    put("fuzz_json_config", "charlm_config.json", json.dumps(meta["config"]))


def seq_seeds(tool, tmp):
    runs = {
        "gru_classify.ckpt": ("temporal_order", ["--cell", "gru"]),
        "lstm_bidir_regress.ckpt": ("adding", ["--task", "regress", "--bidirectional"]),
        "rnn_tag.ckpt": ("tagging", ["--task", "tag", "--cell", "rnn"]),
        "gru_ctc.ckpt": ("spelled", ["--task", "ctc", "--cell", "gru"]),
    }
    for name, (kind, extra) in runs.items():
        data = os.path.join(tmp, "seq_data_" + kind)
        if not os.path.exists(data):
            subprocess.run([tool, "make-data", "--kind", kind, "--count", "20", "--min-len", "4", "--max-len", "6",
                            "--out", data], check=True, stdout=subprocess.DEVNULL)
        out = os.path.join(tmp, "seq_" + name)
        subprocess.run([tool, "train", "--train", os.path.join(data, "list.txt"), "--hidden-size", "3", "--epochs",
                        "1", "--batch-size", "8", "--threads", "1", "--out", out] + extra,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(os.path.join(out, "best.ckpt"), "rb") as f:
            b = f.read()
        put("fuzz_seq_model", name, b)
        if name == "gru_classify.ckpt":
            put("fuzz_checkpoint", "seq_model.ckpt", b)
            n = struct.unpack_from("<Q", b, 12)[0]
            meta = json.loads(b[20:20 + n])
            put("fuzz_json_config", "seq_model.json", json.dumps(meta["model"]))
            put("fuzz_json_config", "seq_train_config.json", json.dumps(meta["train_config"]))


# ---- .npy / .npz

def npy(a, version=None):
    f = io.BytesIO()
    if version is None:
        np.save(f, a)
    else:
        np.lib.format.write_array(f, a, version=version)
    return f.getvalue()


def npy_seeds():
    put("fuzz_npy", "f4_3x2.npy", npy(np.arange(6, dtype="<f4").reshape(3, 2)))
    put("fuzz_npy", "f8_4.npy", npy(np.array([0.5, 1.5, -2.5, 3], dtype="<f8")))
    put("fuzz_npy", "i4_tags.npy", npy(np.array([0, 3, 1, 2], dtype="<i4")))
    put("fuzz_npy", "u1_tags_v2.npy", npy(np.array([1, 2, 255], dtype="u1"), version=(2, 0)))
    put("fuzz_npy", "bool_v3.npy", npy(np.array([True, False]), version=(3, 0)))
    put("fuzz_npy", "i8_2x2.npy", npy(np.array([[1, -2], [3, 4]], dtype="<i8")))
    put("fuzz_npy", "fortran.npy", npy(np.asfortranarray(np.ones((2, 3), dtype="<f4"))))
    put("fuzz_npy", "big_endian.npy", npy(np.ones(3, dtype=">f4")))
    put("fuzz_npy", "empty_0x2.npy", npy(np.zeros((0, 2), dtype="<f4")))
    put("fuzz_npy", "scalar.npy", npy(np.float32(1.5)))
    put("fuzz_npy", "3d.npy", npy(np.zeros((1, 2, 2), dtype="<f4")))
    put("fuzz_npy", "nan.npy", npy(np.array([[1, np.nan]], dtype="<f4")))


def npz(members, compressed=False):
    f = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(f, **members)
    return f.getvalue()


def npz_seeds():
    x = [np.arange(6, dtype="<f4").reshape(3, 2), np.ones((2, 2), dtype="<f4")]
    put("fuzz_npz", "classify.npz", npz({"x_0": x[0], "y_0": np.int64(0), "x_1": x[1], "y_1": np.int64(1)}))
    put("fuzz_npz", "regress_compressed.npz",
        npz({"x_0": x[0], "y_0": np.array([0.5, 1.0]), "x_1": x[1], "y_1": np.array([2.0, -1.0])}, True))
    put("fuzz_npz", "tag.npz", npz({"x_0": x[0], "y_0": np.array([0, 1, 2], dtype="<i4"),
                                    "x_1": x[1], "y_1": np.array([1, 0], dtype="<i4")}))
    put("fuzz_npz", "gap.npz", npz({"x_0": x[0], "y_0": np.int64(0), "x_2": x[1], "y_2": np.int64(1)}))
    put("fuzz_npz", "no_y.npz", npz({"x_0": x[0]}))


# ---- text, lists, JSON, WAV

def text_seeds():
    put("fuzz_corpus", "text.txt", "First Citizen:\nBefore we proceed any further, hear me speak.\n" * 3)
    put("fuzz_corpus", "bytes.bin", bytes(range(256)))
    put("fuzz_corpus", "one_char.txt", "a")
    put("fuzz_corpus", "two_chars.txt", "ab")
    put("fuzz_corpus", "empty.txt", "")
    put("fuzz_corpus", "utf8.txt", "na\u00efve caf\u00e9 \u2014 \u00fcber\n" * 4)

    # fuzz_seq_list: the harness writes f3x2.npy, f4x2.npy, f2x3.npy, t3.npy, t4.npy, neg.npy
    put("fuzz_seq_list", "classify.txt", "f3x2.npy\tXX\nf4x2.npy\tYY\nf3x2.npy\tXX\n")
    put("fuzz_seq_list", "regress.txt", "f3x2.npy\t0.5,1\nf4x2.npy\t-2, 3e1\n")
    put("fuzz_seq_list", "tag.txt", "f3x2.npy\tt3.npy\nf4x2.npy\tt4.npy\n")
    put("fuzz_seq_list", "ctc.txt", "f3x2.npy\tone two\nf4x2.npy\tthree one\n")
    put("fuzz_seq_list", "widths_differ.txt", "f3x2.npy\tA\nf2x3.npy\tB\n")
    put("fuzz_seq_list", "comments_crlf.txt", "# a comment\n\n  f3x2.npy \tA\r\nf4x2.npy\tB\r\n")
    put("fuzz_seq_list", "bad_lines.txt", "f3x2.npy\tneg.npy\nmissing.npy\tA\nno_tab_here\n")

    put("fuzz_speech_list", "test.tsv", "wav/test/c00012.wav\tthree five oh\ten-gb+f2\tconnected\n"
                                        "wav/test/c00013.wav\tzero 7 nine\ten-us\tisolated\n")
    put("fuzz_speech_list", "bad.tsv", "# header\r\nwav/a.wav\tthree eleven\n\twords\n")

    put("fuzz_json_config", "frontend.json",
        '{"type":"mfcc","num_ceps":13,"num_mel_bins":23,"delta_order":2,"cmvn":true,"stack":3,"subsample":3}')
    put("fuzz_json_config", "forged_sizes.json", '{"config":{"hidden_size":-1,"num_layers":1e300,"embed_size":"x"}}')


def wav(samples, rate=16000, width=2, channels=1):
    f = io.BytesIO()
    with wave.open(f, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(samples)
    return f.getvalue()


def riff(fmt_tag, channels, rate, bits, data, extra=b"", declared=None):
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", fmt_tag, channels, rate, rate * block, block, bits) + extra
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data) if declared is None else declared) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def wav_seeds():
    s16 = struct.pack("<100h", *[(i * 997) % 65536 - 32768 for i in range(100)])
    put("fuzz_wav", "pcm16_16k.wav", wav(s16))
    put("fuzz_wav", "pcm8_8k.wav", wav(bytes(range(0, 200, 2)), rate=8000, width=1))
    put("fuzz_wav", "pcm24.wav", wav(bytes(range(150)), width=3))
    put("fuzz_wav", "stereo.wav", wav(s16, channels=2))
    put("fuzz_wav", "float32.wav", riff(3, 1, 16000, 32, struct.pack("<50f", *[i / 50 for i in range(50)])))
    # WAVE_FORMAT_EXTENSIBLE, PCM subformat
    ext = struct.pack("<HHI", 22, 16, 4) + bytes.fromhex("0100000000001000800000aa00389b71")
    put("fuzz_wav", "extensible.wav", riff(0xFFFE, 1, 16000, 16, s16[:80], extra=ext))
    put("fuzz_wav", "truncated_data.wav", riff(1, 1, 16000, 16, s16[:40], declared=400))
    put("fuzz_wav", "no_samples.wav", wav(b""))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--charlm")
    ap.add_argument("--seq")
    args = ap.parse_args()
    checkpoint_seeds()
    npy_seeds()
    npz_seeds()
    text_seeds()
    wav_seeds()
    tmp = tempfile.mkdtemp()
    try:
        if args.charlm:
            charlm_seeds(os.path.abspath(args.charlm), tmp)
        if args.seq:
            seq_seeds(os.path.abspath(args.seq), tmp)
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
