#!/usr/bin/env python3
"""Write a random-weight LLaMA GGUF in a real model's shape and quantization, for benchmarks.

For comparing Sluice with a peer (llama.cpp's llama-bench) on the same file where the real
model cannot be carried or fetched. LLaMA shapes: the tensor types follow llama.cpp's Q4_K_M
recipe: q4_k everywhere, q6_k for the output matrix and for attn_v / ffn_down in the layers
where that recipe spends more bits (the first and last eighth of the layers and every third
one between); a byte-level BPE vocabulary (the 256 byte tokens, then two-byte merges).
`gemma3-270m`: Gemma 3 270M's architecture, tensors and types as llama.cpp's Q4_K_M file
holds them (rows of 640 are not whole K-quant blocks: q5_0 for Q/K/gate/up, q8_0 for V and
the tied embedding, q4_k for the output projection, q6_k for down), with a SentencePiece
vocabulary (byte tokens, then two-letter pieces) of 262,144 entries. Blocks are random bytes
with scales that keep values near 1/sqrt(K) (gguf-py cannot quantize K-quants); norms are
f32. Speed depends on the shapes and types only; the text it would generate is meaningless
(runs on two devices can still be compared: the same file gives the same logits).

    python3 scripts/make_bench_gguf.py --shape tinyllama-1.1b --out /tmp/tinyllama-q4km.gguf
"""
import argparse

import numpy as np
from gguf import GGMLQuantizationType as QT
from gguf import GGUFWriter

# hidden, ffn, layers, heads, kv heads, vocabulary, context, rope base
SHAPES = {
    "tinyllama-1.1b": (2048, 5632, 22, 32, 4, 32000, 2048, 10000.0),
    # A small one, to check a change to this script quickly.
    "tiny": (256, 512, 2, 4, 2, 1000, 256, 10000.0),
}
BLOCK_BYTES = {QT.Q4_K: 144, QT.Q6_K: 210, QT.Q5_0: 22, QT.Q8_0: 34}
BLOCK_VALUES = {QT.Q4_K: 256, QT.Q6_K: 256, QT.Q5_0: 32, QT.Q8_0: 32}


def byte_chars():
    """GPT-2's printable stand-ins for the 256 byte values."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    chars, extra = {}, 0
    for b in range(256):
        if b in keep:
            chars[b] = chr(b)
        else:
            chars[b] = chr(256 + extra)
            extra += 1
    return [chars[b] for b in range(256)]


def vocabulary(size):
    base = byte_chars()
    tokens, merges = list(base), []
    for a in base:
        for b in base:
            if len(tokens) >= size - 1:
                break
            tokens.append(a + b)
            merges.append(f"{a} {b}")
    tokens.append("<|endoftext|>")
    types = [1] * (len(tokens) - 1) + [3]
    return tokens, merges, types


def more_bits(layer, layers):
    """llama.cpp's Q4_K_M rule for which layers' attn_v and ffn_down get q6_k."""
    return layer < layers // 8 or layer >= 7 * layers // 8 or (layer - layers // 8) % 3 == 2


def add_shape(w, context, hidden, layers, ffn, heads, kv_heads):
    """The hyperparameters every decoder GGUF these scripts write starts with, in this order."""
    w.add_context_length(context)
    w.add_embedding_length(hidden)
    w.add_block_count(layers)
    w.add_feed_forward_length(ffn)
    w.add_head_count(heads)
    w.add_head_count_kv(kv_heads)


def finish(w):
    """Header, metadata and tensors to the file."""
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def random_blocks(rng, rows, k, qt):
    """Random `qt` blocks for a [rows, k] matrix, values around 1/sqrt(k)."""
    n = BLOCK_VALUES[qt]
    raw = rng.integers(0, 256, size=(rows * k // n, BLOCK_BYTES[qt]), dtype=np.uint8)
    scale = 1.0 / np.sqrt(k)

    def put(at, v):
        raw[:, at:at + 2] = np.frombuffer(np.float16(v).tobytes(), dtype=np.uint8)
    if qt == QT.Q4_K:
        put(0, scale / (8 * 63)); put(2, scale / (63 * 2))
    elif qt == QT.Q6_K:
        put(208, scale / (32 * 64))
    elif qt == QT.Q5_0:
        put(0, scale / 16)
    else:
        put(0, scale / 128)
    return raw.reshape(rows, k // n * BLOCK_BYTES[qt])


def spm_vocabulary(size):
    """<pad>, <eos>, <bos>, <unk>, Gemma's turn markers, the 256 byte tokens, then pieces."""
    tokens = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"]
    types = [3, 3, 3, 2, 3, 3]
    tokens += ["<0x%02X>" % b for b in range(256)]
    types += [6] * 256
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)] + ["\u2581"]
    for a in letters:
        for b in letters:
            for c in letters:
                tokens.append(a + b + c)
    for a in letters:
        tokens.append(a)
        for b in letters:
            tokens.append(a + b)
    i = 0
    while len(tokens) < size:
        tokens.append(f"\u2581w{i}")
        i += 1
    tokens = tokens[:size]
    types += [1] * (size - len(types))
    scores = [0.0] * 262 + [-float(i) for i in range(size - 262)]
    return tokens, types, scores


def write_gemma3(args, rng):
    hidden, ffn, layers, heads, kv_heads, hd, vocab = 640, 2048, 18, 4, 1, 256, 262144
    w = GGUFWriter(args.out, "gemma3")
    w.add_name("gemma3-270m Q4_K_M-style random weights")
    add_shape(w, 32768, hidden, layers, ffn, heads, kv_heads)
    w.add_key_length(hd)
    w.add_value_length(hd)
    w.add_sliding_window(512)
    w.add_rope_freq_base(1e6)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_file_type(15)
    tokens, types, scores = spm_vocabulary(vocab)
    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_scores(scores)
    w.add_bos_token_id(2)
    w.add_eos_token_id(1)
    w.add_unk_token_id(3)
    w.add_add_bos_token(True)
    w.add_add_space_prefix(False)

    def add(name, rows, k, qt):
        w.add_tensor(name, random_blocks(rng, rows, k, qt), raw_dtype=qt)

    def norm(name, n=hidden):
        w.add_tensor(name, (1 + 0.1 * rng.standard_normal(n)).astype(np.float32))

    add("token_embd.weight", vocab, hidden, QT.Q8_0)
    norm("output_norm.weight")
    for layer in range(layers):
        p = f"blk.{layer}."
        for n in ("attn_norm", "ffn_norm", "post_attention_norm", "post_ffw_norm"):
            norm(p + n + ".weight")
        norm(p + "attn_q_norm.weight", hd)
        norm(p + "attn_k_norm.weight", hd)
        add(p + "attn_q.weight", heads * hd, hidden, QT.Q5_0)
        add(p + "attn_k.weight", kv_heads * hd, hidden, QT.Q5_0)
        add(p + "attn_v.weight", kv_heads * hd, hidden, QT.Q8_0)
        add(p + "attn_output.weight", hidden, heads * hd, QT.Q4_K)
        add(p + "ffn_gate.weight", ffn, hidden, QT.Q5_0)
        add(p + "ffn_up.weight", ffn, hidden, QT.Q5_0)
        add(p + "ffn_down.weight", hidden, ffn, QT.Q6_K)
    finish(w)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shape", choices=sorted(SHAPES) + ["gemma3-270m"], default="tinyllama-1.1b")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    if args.shape == "gemma3-270m":
        write_gemma3(args, rng)
        return
    hidden, ffn, layers, heads, kv_heads, vocab, context, rope = SHAPES[args.shape]
    hd = hidden // heads

    w = GGUFWriter(args.out, "llama")
    w.add_name(f"{args.shape} Q4_K_M-style random weights")
    add_shape(w, context, hidden, layers, ffn, heads, kv_heads)
    w.add_rope_freq_base(rope)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_file_type(15)  # LLAMA_FTYPE_MOSTLY_Q4_K_M
    tokens, merges, types = vocabulary(vocab)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("gpt-2")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_bos_token_id(len(tokens) - 1)
    w.add_eos_token_id(len(tokens) - 1)

    def add(name, rows, k, qt):
        w.add_tensor(name, random_blocks(rng, rows, k, qt), raw_dtype=qt)

    def norm(name):
        w.add_tensor(name, (1 + 0.1 * rng.standard_normal(hidden)).astype(np.float32))

    add("token_embd.weight", vocab, hidden, QT.Q4_K)
    norm("output_norm.weight")
    add("output.weight", vocab, hidden, QT.Q6_K)
    for layer in range(layers):
        p = f"blk.{layer}."
        big = QT.Q6_K if more_bits(layer, layers) else QT.Q4_K
        norm(p + "attn_norm.weight")
        norm(p + "ffn_norm.weight")
        add(p + "attn_q.weight", heads * hd, hidden, QT.Q4_K)
        add(p + "attn_k.weight", kv_heads * hd, hidden, QT.Q4_K)
        add(p + "attn_v.weight", kv_heads * hd, hidden, big)
        add(p + "attn_output.weight", hidden, heads * hd, QT.Q4_K)
        add(p + "ffn_gate.weight", ffn, hidden, QT.Q4_K)
        add(p + "ffn_up.weight", ffn, hidden, QT.Q4_K)
        add(p + "ffn_down.weight", hidden, ffn, big)
    finish(w)


if __name__ == "__main__":
    main()
