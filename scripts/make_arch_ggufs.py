#!/usr/bin/env python3
"""Write tiny GGUFs of the architectures beside plain LLaMA (random weights) and their
reference logits.

Qwen 2: LLaMA's layout plus Q/K/V biases, NeoX RoPE; Qwen 3: no biases, per-head query/key
RMS norms before RoPE and a head size (attention.key_length) that is not hidden / heads;
llama3: LLaMA with Llama 3.1/3.2's RoPE frequency factors (rope_freqs.weight, made by
Llama 3's formula: factor 8, low/high frequency factors 1 and 4, original context 16 — a
tiny one, so that the positions here reach the scaled dims).
Matrices in q8_0 (the embedding tied to the head in Qwen 3, a separate q8_0 output in Qwen 2),
norms and biases in f32, written with gguf-py's GGUFWriter. The logits of every position of
IDS come from scripts/reference_llama.py (gguf's dequantizer, float64 numpy), not from
Sluice.

    .venv/bin/python3 scripts/make_arch_ggufs.py   # writes Tests/EndToEndTests/Fixtures/archs/ (setup.sh runs it)
"""
import os
import subprocess
import sys

import numpy as np
from gguf import GGMLQuantizationType as QT
from gguf import GGUFWriter

from make_bench_gguf import add_shape, finish, random_blocks

HIDDEN, FFN, LAYERS, HEADS, KV_HEADS, VOCAB = 128, 256, 2, 4, 2, 80
IDS = [3, 41, 7, 60, 15, 33]


def llama3_factors(head, base, factor=8.0, low=1.0, high=4.0, original=16):
    """Llama 3's rope scaling as llama.cpp's converter writes it: one factor per pair."""
    out = []
    for i in range(head // 2):
        wavelen = 2 * np.pi / (base ** (-2.0 * i / head))
        if wavelen < original / high:
            out.append(1.0)
        elif wavelen > original / low:
            out.append(factor)
        else:
            smooth = (original / wavelen - low) / (high - low)
            out.append(1.0 / ((1 - smooth) / factor + smooth))
    return np.array(out, dtype=np.float32)


def write(path, arch, rng):
    head = 48 if arch == "qwen3" else HIDDEN // HEADS
    file_arch = "llama" if arch == "llama3" else arch
    w = GGUFWriter(path, file_arch)
    add_shape(w, 64, HIDDEN, LAYERS, FFN, HEADS, KV_HEADS)
    if arch == "qwen3":
        w.add_key_length(head)
        w.add_value_length(head)
    base = 500000.0 if arch == "llama3" else 1000000.0
    w.add_rope_freq_base(base)
    w.add_layer_norm_rms_eps(1e-6)

    def mat(name, rows, k):
        w.add_tensor(name, random_blocks(rng, rows, k, QT.Q8_0), raw_dtype=QT.Q8_0)

    def vec(name, n, around):
        w.add_tensor(name, (around + 0.1 * rng.standard_normal(n)).astype(np.float32))

    mat("token_embd.weight", VOCAB, HIDDEN)
    if arch == "llama3":
        w.add_tensor("rope_freqs.weight", llama3_factors(head, base))
    vec("output_norm.weight", HIDDEN, 1)
    if arch == "qwen2":
        mat("output.weight", VOCAB, HIDDEN)
    for layer in range(LAYERS):
        p = f"blk.{layer}."
        vec(p + "attn_norm.weight", HIDDEN, 1)
        vec(p + "ffn_norm.weight", HIDDEN, 1)
        for part, rows in (("q", HEADS * head), ("k", KV_HEADS * head), ("v", KV_HEADS * head)):
            mat(p + f"attn_{part}.weight", rows, HIDDEN)
            if arch == "qwen2":
                vec(p + f"attn_{part}.bias", rows, 0)
        if arch == "qwen3":
            vec(p + "attn_q_norm.weight", head, 1)
            vec(p + "attn_k_norm.weight", head, 1)
        mat(p + "attn_output.weight", HIDDEN, HEADS * head)
        mat(p + "ffn_gate.weight", FFN, HIDDEN)
        mat(p + "ffn_up.weight", FFN, HIDDEN)
        mat(p + "ffn_down.weight", HIDDEN, FFN)
    finish(w)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "..", "Tests", "EndToEndTests", "Fixtures", "archs")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "ids.txt"), "w") as f:
        f.write(",".join(map(str, IDS)) + "\n")
    for seed, arch in enumerate(("qwen2", "qwen3", "llama3")):
        path = os.path.join(out, f"{arch}.gguf")
        write(path, arch, np.random.default_rng(20261202 + seed))
        subprocess.run([sys.executable, os.path.join(here, "reference_llama.py"), path,
                        "--ids", ",".join(map(str, IDS)), "--out", os.path.join(out, f"{arch}_logits.npy")], check=True)


if __name__ == "__main__":
    main()
