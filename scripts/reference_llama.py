#!/usr/bin/env python3
"""Independent numpy reference forward pass for LLaMA-architecture GGUF models (and Qwen 2/3).

Reads the GGUF with the `gguf` package (GGUFReader), dequantizes every tensor with
`gguf.quants.dequantize` (no hand-written dequantizer), and runs the transformer in
float64 numpy. The only float32 steps are the dequantized weights themselves (what
`gguf.quants.dequantize` returns, exactly representable in float64) and the logits
written to .npy files.

Usage:
  python scripts/reference_llama.py MODEL --ids 1,2,3 --out logits.npy
      writes float32 logits of every position, shape [n, vocab]
  python scripts/reference_llama.py MODEL --perplexity-ids-file ids.txt --ctx 64 --chunks 2
      perplexity over consecutive non-overlapping windows of ctx tokens, each from an
      empty cache, scoring every token after the first of each window
  python scripts/reference_llama.py MODEL --make-fixtures DIR
      regenerates Tests/EndToEndTests/Fixtures/llama_reference/ (needs `tokenizers`)

  --rope-mode normal  adjacent pairs (x[2i], x[2i+1]) -- GGUF LLaMA's (its default)
  --rope-mode neox    half-split pairs (x[i], x[i+d/2]) -- Qwen 2/3's (their default); wrong
                      for GGUF LLaMA, for comparison

Architectures: llama (with Llama 3.1/3.2's rope_freqs.weight frequency factors when the
file has them), and qwen2 (Q/K/V biases) and qwen3 (per-head query/key RMS norms before
RoPE, a head size of its own from attention.key_length).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize

DTYPE = np.float64


# ----------------------------------------------------------------------------- model

class LlamaGGUF:
    def __init__(self, path: str, dtype=DTYPE):
        t0 = time.time()
        self.path = path
        self.reader = r = GGUFReader(path)
        self.dtype = dtype
        arch = self.field("general.architecture")
        # Qwen 2 adds Q/K/V biases, Qwen 3 per-head query/key RMS norms (and a head size of
        # its own); both pair RoPE dims NeoX-style (llama.cpp's rope type for them).
        if arch not in ("llama", "qwen2", "qwen3"):
            raise SystemExit(f"unsupported architecture {arch!r} (expects llama, qwen2, qwen3)")
        self.arch = arch
        self.default_rope = "normal" if arch == "llama" else "neox"
        self.n_layer = int(self.field(f"{arch}.block_count"))
        self.n_embd = int(self.field(f"{arch}.embedding_length"))
        self.n_ff = int(self.field(f"{arch}.feed_forward_length"))
        self.n_head = int(self.field(f"{arch}.attention.head_count"))
        self.n_head_kv = int(self.field(f"{arch}.attention.head_count_kv", self.n_head))
        self.head_dim = int(self.field(f"{arch}.attention.key_length", self.n_embd // self.n_head))
        self.rope_dim = int(self.field(f"{arch}.rope.dimension_count", self.head_dim))
        self.rope_base = float(self.field(f"{arch}.rope.freq_base", 10000.0))
        self.eps = float(self.field(f"{arch}.attention.layer_norm_rms_epsilon"))
        assert self.rope_dim == self.head_dim, "partial rotary not supported"
        assert self.n_head % self.n_head_kv == 0

        self.types = {}
        self.w = {}
        for t in r.tensors:
            arr = dequantize(t.data, t.tensor_type)
            # GGUF dims are [ne0 (contiguous), ne1, ...]; the numpy array is the reverse
            # (ne1, ne0), i.e. (out, in) for a 2-D weight, so y = W @ x.
            expect = tuple(int(d) for d in reversed(t.shape.tolist()))
            arr = np.asarray(arr).reshape(expect)
            self.w[t.name] = arr.astype(dtype)
            self.types[t.name] = t.tensor_type.name

        E, H, KV, D, F = self.n_embd, self.n_head, self.n_head_kv, self.head_dim, self.n_ff
        self.vocab = self.w["token_embd.weight"].shape[0]
        assert self.w["token_embd.weight"].shape == (self.vocab, E)
        for i in range(self.n_layer):
            p = f"blk.{i}."
            assert self.w[p + "attn_q.weight"].shape == (H * D, E)
            assert self.w[p + "attn_k.weight"].shape == (KV * D, E)
            assert self.w[p + "attn_v.weight"].shape == (KV * D, E)
            assert self.w[p + "attn_output.weight"].shape == (E, H * D)
            for b, rows in (("attn_q.bias", H * D), ("attn_k.bias", KV * D), ("attn_v.bias", KV * D)):
                assert self.w.get(p + b, np.zeros(rows)).shape == (rows,)
            for nrm in ("attn_q_norm.weight", "attn_k_norm.weight"):
                assert self.w.get(p + nrm, np.zeros(D)).shape == (D,)
            assert self.w[p + "ffn_gate.weight"].shape == (F, E)
            assert self.w[p + "ffn_up.weight"].shape == (F, E)
            assert self.w[p + "ffn_down.weight"].shape == (E, F)
            assert self.w[p + "attn_norm.weight"].shape == (E,)
            assert self.w[p + "ffn_norm.weight"].shape == (E,)
        self.tied = "output.weight" not in self.w
        self.out_w = self.w["token_embd.weight"] if self.tied else self.w["output.weight"]
        assert self.out_w.shape == (self.vocab, E)
        self.load_seconds = time.time() - t0

    def field(self, key, default=None):
        f = self.reader.fields.get(key)
        if f is None:
            if default is None:
                raise KeyError(key)
            return default
        return f.contents()

    # ------------------------------------------------------------------ pieces
    def rmsnorm(self, x, w):
        # x: (n, E)
        return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + self.eps) * w

    def rope(self, x, pos, mode):
        # x: (n, heads, D); pos: (n,)
        D = self.head_dim
        i = np.arange(D // 2, dtype=np.float64)
        inv = self.rope_base ** (-2.0 * i / D)                  # (D/2,)
        if "rope_freqs.weight" in self.w:                        # Llama 3.1/3.2: θ_i / factor_i
            inv = inv / self.w["rope_freqs.weight"]
        ang = pos.astype(np.float64)[:, None] * inv[None, :]     # (n, D/2)
        c = np.cos(ang)[:, None, :].astype(x.dtype)
        s = np.sin(ang)[:, None, :].astype(x.dtype)
        out = np.empty_like(x)
        if mode == "normal":        # adjacent pairs (x[2i], x[2i+1])
            a, b = x[..., 0::2], x[..., 1::2]
            out[..., 0::2] = a * c - b * s
            out[..., 1::2] = a * s + b * c
        elif mode == "neox":        # half-split pairs (x[i], x[i+D/2])
            a, b = x[..., : D // 2], x[..., D // 2:]
            out[..., : D // 2] = a * c - b * s
            out[..., D // 2:] = a * s + b * c
        else:
            raise ValueError(mode)
        return out

    def new_cache(self):
        return {"k": [None] * self.n_layer, "v": [None] * self.n_layer, "n": 0}

    # ------------------------------------------------------------------ forward
    def forward(self, ids, cache=None, rope_mode="normal", last_only=False):
        """Process `ids` (new tokens) after whatever is in `cache`; returns logits
        (n_new, vocab) float64 (or (vocab,) for last_only). All new positions are
        processed at once with a causal mask."""
        if cache is None:
            cache = self.new_cache()
        ids = np.asarray(ids, dtype=np.int64)
        n = len(ids)
        past = cache["n"]
        E, H, KV, D = self.n_embd, self.n_head, self.n_head_kv, self.head_dim
        group = H // KV
        pos = np.arange(past, past + n)
        total = past + n
        # causal mask over (new query, all keys)
        qpos = pos[:, None]
        kpos = np.arange(total)[None, :]
        mask = np.where(kpos <= qpos, 0.0, -np.inf)              # (n, total)
        scale = 1.0 / math.sqrt(D)

        x = self.w["token_embd.weight"][ids]                      # (n, E)
        for L in range(self.n_layer):
            p = f"blk.{L}."
            h = self.rmsnorm(x, self.w[p + "attn_norm.weight"])
            def proj(name, heads):
                y = h @ self.w[p + f"attn_{name}.weight"].T                # == W @ x per row
                if p + f"attn_{name}.bias" in self.w:
                    y = y + self.w[p + f"attn_{name}.bias"]
                return y.reshape(n, heads, D)
            q, k, v = proj("q", H), proj("k", KV), proj("v", KV)
            if p + "attn_q_norm.weight" in self.w:                         # per head, before RoPE
                q = self.rmsnorm(q, self.w[p + "attn_q_norm.weight"])
                k = self.rmsnorm(k, self.w[p + "attn_k_norm.weight"])
            q = self.rope(q, pos, rope_mode)
            k = self.rope(k, pos, rope_mode)
            if past:
                k = np.concatenate([cache["k"][L], k], axis=0)
                v = np.concatenate([cache["v"][L], v], axis=0)
            cache["k"][L] = k
            cache["v"][L] = v
            attn = np.empty((n, H, D), dtype=x.dtype)
            for hh in range(H):
                kv = hh // group
                s = (q[:, hh, :] @ k[:, kv, :].T) * scale + mask    # (n, total)
                s = s - s.max(axis=-1, keepdims=True)
                e = np.exp(s)
                a = e / e.sum(axis=-1, keepdims=True)
                attn[:, hh, :] = a @ v[:, kv, :]
            x = x + attn.reshape(n, H * D) @ self.w[p + "attn_output.weight"].T
            h = self.rmsnorm(x, self.w[p + "ffn_norm.weight"])
            g = h @ self.w[p + "ffn_gate.weight"].T
            u = h @ self.w[p + "ffn_up.weight"].T
            act = g / (1.0 + np.exp(-g)) * u                       # silu(gate) * up
            x = x + act @ self.w[p + "ffn_down.weight"].T
        cache["n"] = total
        x = self.rmsnorm(x, self.w["output_norm.weight"])
        if last_only:
            return self.out_w @ x[-1]
        return x @ self.out_w.T

    # ------------------------------------------------------------------ helpers
    def greedy(self, ids, steps, rope_mode="normal", margins=None):
        """`steps` greedy tokens, decoded one at a time through the KV cache. Does not
        stop at EOS. If `margins` is a list, appends top1 - top2 logit of each step."""
        cache = self.new_cache()
        logits = self.forward(ids, cache, rope_mode, last_only=True)
        out = []
        for _ in range(steps):
            t = int(np.argmax(logits))
            if margins is not None:
                top2 = np.partition(logits, -2)[-2:]
                margins.append(float(top2[1] - top2[0]))
            out.append(t)
            logits = self.forward([t], cache, rope_mode, last_only=True)
        return out

    def perplexity(self, ids, ctx, chunks, rope_mode="normal"):
        ids = list(ids)
        if chunks is None:
            chunks = len(ids) // ctx
        if len(ids) < ctx * chunks:
            raise SystemExit(f"need {ctx * chunks} ids, have {len(ids)}")
        nll_sum, count = 0.0, 0
        for c in range(chunks):
            w = ids[c * ctx:(c + 1) * ctx]
            logits = self.forward(w, None, rope_mode).astype(np.float64)
            m = logits.max(axis=-1, keepdims=True)
            logp = logits - (m + np.log(np.exp(logits - m).sum(axis=-1, keepdims=True)))
            tgt = np.asarray(w[1:])
            nll = -logp[np.arange(ctx - 1), tgt]
            nll_sum += float(nll.sum())
            count += len(nll)
        return math.exp(nll_sum / count), count


# ----------------------------------------------------------------------------- tokenizer

def build_tokenizer(model: LlamaGGUF):
    """HF `tokenizers` byte-level BPE built from the GGUF vocab and merges. For
    pre=smollm: digits split individually, then the GPT-2 byte-level pattern.
    Control tokens (token_type 3) and user-defined (4) are added as special tokens."""
    from tokenizers import Tokenizer, models, pre_tokenizers, decoders, AddedToken

    toks = model.field("tokenizer.ggml.tokens")
    merges = model.field("tokenizer.ggml.merges")
    ttype = model.field("tokenizer.ggml.token_type")
    pre = model.field("tokenizer.ggml.pre", "default")
    if model.field("tokenizer.ggml.model") != "gpt2":
        raise SystemExit("only gpt2 (byte-level BPE) tokenizers supported")
    vocab = {t: i for i, t in enumerate(toks)}
    merge_pairs = [tuple(m.split(" ", 1)) for m in merges]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merge_pairs, ignore_merges=False))
    bl = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    if pre == "smollm":
        tok.pre_tokenizer = pre_tokenizers.Sequence(
            [pre_tokenizers.Digits(individual_digits=True), bl])
    else:
        tok.pre_tokenizer = bl
    tok.decoder = decoders.ByteLevel()
    specials = [AddedToken(toks[i], special=True, normalized=False)
                for i, ty in enumerate(ttype) if ty in (3, 4)]
    tok.add_special_tokens(specials)
    return tok


# ----------------------------------------------------------------------------- fixtures

def dump_json(obj, path):
    """Indented JSON with flat lists of numbers/strings kept on one line."""
    import re
    text = json.dumps(obj, indent=1, ensure_ascii=False)
    text = re.sub(r"\[\s*\n(?:[^\[\]{}]*?)\n\s*\]",
                  lambda m: "[" + ", ".join(x.strip() for x in
                                           m.group(0)[1:-1].strip().split(",\n")) + "]",
                  text)
    assert json.loads(text) == obj
    with open(path, "w", encoding="utf-8") as f:
        f.write(text + "\n")


GPL_SLICE_TOKENS = 40
APACHE_TOKENS = 130


def make_fixtures(model: LlamaGGUF, outdir: str):
    os.makedirs(outdir, exist_ok=True)
    tok = build_tokenizer(model)
    add_bos = bool(model.field("tokenizer.ggml.add_bos_token", False))
    bos = int(model.field("tokenizer.ggml.bos_token_id"))
    toks = model.field("tokenizer.ggml.tokens")

    def enc(text):
        ids = tok.encode(text, add_special_tokens=False).ids
        return ([bos] if add_bos else []) + ids

    gpl = open("/usr/share/common-licenses/GPL-3", encoding="utf-8").read()
    gpl_ids = tok.encode(gpl, add_special_tokens=False).ids
    # a 40-token slice from the body of the licence (tokens 200..239 of the file)
    gpl_slice = gpl_ids[200:200 + GPL_SLICE_TOKENS]
    gpl_text = tok.decode(gpl_slice, skip_special_tokens=False)
    assert tok.encode(gpl_text, add_special_tokens=False).ids == gpl_slice, \
        "GPL slice does not round-trip; pick another offset"

    texts = [
        "The capital of France is",
        "Once upon a time, there was a little",
        "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
        gpl_text,
    ]
    prompts = []
    for k, text in enumerate(texts):
        ids = enc(text)
        t0 = time.time()
        logits = model.forward(ids, None, "normal")
        last = logits[-1]
        np.save(os.path.join(outdir, f"logits_{k}.npy"), last.astype(np.float32))
        top5 = [int(i) for i in np.argsort(-last, kind="stable")[:5]]
        margins = []
        cont = model.greedy(ids, 8, margins=margins)
        dt = time.time() - t0
        # consistency: incremental (KV cache) decode == full pass
        full = model.forward(ids + cont, None, "normal")
        assert [int(np.argmax(full[len(ids) - 1 + j])) for j in range(8)] == cont
        prompts.append({
            "text": text,
            "ids": ids,
            "top5_ids": top5,
            "top5_tokens": [toks[i] for i in top5],
            "top5_logits": [float(last[i]) for i in top5],
            "greedy_ids": cont,
            "greedy_text": tok.decode(cont, skip_special_tokens=False),
            "greedy_margins": margins,
        })
        print(f"prompt {k}: {len(ids)} ids, top5 {[(i, toks[i]) for i in top5]}, "
              f"greedy {tok.decode(cont, skip_special_tokens=False)!r} ({dt:.2f}s)")

    meta = {
        "model": os.path.basename(model.path),
        "precision": "float64 activations and weights (weights dequantized by "
                     "gguf.quants.dequantize to float32, then widened); logits saved as float32",
        "rope_mode": "normal (adjacent pairs x[2i], x[2i+1])",
        "add_bos": add_bos,
        "logits_files": [f"logits_{k}.npy" for k in range(len(texts))],
        "prompts": prompts,
    }
    dump_json(meta, os.path.join(outdir, "prompts.json"))

    apache = open("/usr/share/common-licenses/Apache-2.0", encoding="utf-8").read()
    ap_ids = enc(apache)[:APACHE_TOKENS]
    t0 = time.time()
    ppl, n = model.perplexity(ap_ids, 64, 2, "normal")
    t1 = time.time()
    ppl_wrong, _ = model.perplexity(ap_ids, 64, 2, "neox")
    print(f"perplexity normal {ppl:.6f} ({t1 - t0:.2f}s), neox (wrong) {ppl_wrong:.6f}, "
          f"{n} scored tokens")
    dump_json({
            "model": os.path.basename(model.path),
            "source": "/usr/share/common-licenses/Apache-2.0, first 130 tokens",
            "ctx": 64,
            "chunks": 2,
            "scored_tokens": n,
            "perplexity": ppl,
            "perplexity_wrong_neox_pairing": ppl_wrong,
            "ids": ap_ids,
        }, os.path.join(outdir, "perplexity.json"))


# ----------------------------------------------------------------------------- CLI

def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--ids", help="comma-separated token ids")
    ap.add_argument("--out", help="write float32 logits [n, vocab] here (.npy)")
    ap.add_argument("--perplexity-ids-file", help="whitespace/comma separated ids")
    ap.add_argument("--ctx", type=int, default=64)
    ap.add_argument("--chunks", type=int, default=None)
    ap.add_argument("--rope-mode", choices=["normal", "neox"], default=None,
                    help="default: normal for llama, neox for qwen2/qwen3")
    ap.add_argument("--make-fixtures", metavar="DIR")
    a = ap.parse_args()

    m = LlamaGGUF(a.model)
    a.rope_mode = a.rope_mode or m.default_rope
    print(f"loaded {a.model} in {m.load_seconds:.2f}s (float64)", file=sys.stderr)
    if a.ids:
        ids = [int(s) for s in a.ids.replace(" ", "").split(",") if s]
        t0 = time.time()
        logits = m.forward(ids, None, a.rope_mode)
        print(f"forward {len(ids)} tokens in {time.time() - t0:.2f}s", file=sys.stderr)
        if a.out:
            np.save(a.out, logits.astype(np.float32))
        print("argmax per position:", [int(i) for i in logits.argmax(axis=-1)])
    if a.perplexity_ids_file:
        txt = open(a.perplexity_ids_file).read().replace(",", " ")
        ids = [int(s) for s in txt.split()]
        t0 = time.time()
        ppl, n = m.perplexity(ids, a.ctx, a.chunks, a.rope_mode)
        print(f"perplexity {ppl:.6f} over {n} scored tokens "
              f"(ctx {a.ctx}, rope {a.rope_mode}, {time.time() - t0:.2f}s)")
    if a.make_fixtures:
        make_fixtures(m, a.make_fixtures)


if __name__ == "__main__":
    main()
