#!/usr/bin/env python3
"""Write a tiny LLaMA GGUF in the K-quants of a Q4_K_M file, and its reference logits.

Decoder matrices in q4_k (the V projections in q6_k, as Q4_K_M stores some), the tied
token embedding / LM head in q6_k, norms in f32; random but well-formed blocks (gguf-py
cannot quantize K-quants, so the blocks' bytes are random with scales that keep values
near 1/sqrt(K)). Written with gguf-py's GGUFWriter; the logits of every position of IDS come
from scripts/reference_llama.py (gguf's dequantizer, float64 numpy), not from Sluice.

    .venv/bin/python3 scripts/make_kquant_llama.py   # writes Tests/EndToEndTests/Fixtures/llama_kquant/ (setup.sh runs it)
"""
import os
import subprocess
import sys

import numpy as np
from gguf import GGMLQuantizationType as QT
from gguf import GGUFWriter

from make_bench_gguf import add_shape, finish, random_blocks

HIDDEN, FFN, LAYERS, HEADS, KV_HEADS, VOCAB = 256, 256, 2, 4, 2, 96
IDS = [3, 41, 7, 88, 15, 60]
rng = np.random.default_rng(20261201)


def kquant(rows, k, qt):
    """Random blocks of `qt` for a [rows, k] matrix, values around 1/sqrt(k)."""
    return random_blocks(rng, rows, k, qt)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "..", "Tests", "EndToEndTests", "Fixtures", "llama_kquant")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "llama_kquant.gguf")
    w = GGUFWriter(path, "llama")
    add_shape(w, 64, HIDDEN, LAYERS, FFN, HEADS, KV_HEADS)
    w.add_rope_freq_base(10000.0)
    w.add_layer_norm_rms_eps(1e-5)
    hd = HIDDEN // HEADS

    def add(name, rows, k, qt):
        w.add_tensor(name, kquant(rows, k, qt), raw_dtype=qt)

    def norm(name):
        w.add_tensor(name, (1 + 0.1 * rng.standard_normal(HIDDEN)).astype(np.float32))

    add("token_embd.weight", VOCAB, HIDDEN, QT.Q6_K)
    norm("output_norm.weight")
    for layer in range(LAYERS):
        p = f"blk.{layer}."
        norm(p + "attn_norm.weight")
        norm(p + "ffn_norm.weight")
        add(p + "attn_q.weight", HEADS * hd, HIDDEN, QT.Q4_K)
        add(p + "attn_k.weight", KV_HEADS * hd, HIDDEN, QT.Q4_K)
        add(p + "attn_v.weight", KV_HEADS * hd, HIDDEN, QT.Q6_K)
        add(p + "attn_output.weight", HIDDEN, HEADS * hd, QT.Q4_K)
        add(p + "ffn_gate.weight", FFN, HIDDEN, QT.Q4_K)
        add(p + "ffn_up.weight", FFN, HIDDEN, QT.Q4_K)
        add(p + "ffn_down.weight", HIDDEN, FFN, QT.Q6_K)
    finish(w)
    logits = os.path.join(out, "logits.npy")
    subprocess.run([sys.executable, os.path.join(here, "reference_llama.py"), path,
                    "--ids", ",".join(map(str, IDS)), "--out", logits], check=True)
    with open(os.path.join(out, "ids.txt"), "w") as f:
        f.write(",".join(map(str, IDS)) + "\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes), {logits}")


if __name__ == "__main__":
    main()
