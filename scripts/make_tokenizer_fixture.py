#!/usr/bin/env python3
"""Writes Tests/FrontendsTests/Fixtures/tokenizer_smollm2.json: reference token ids for
Sluice's tokenizer tests, computed by an independent implementation.

Reference: Hugging Face `tokenizers` (Rust, Oniguruma regexes), configured from the
vocabulary and merges that the `gguf` package reads out of the SmolLM2 GGUF file:
  BPE(vocab, merges) with the pre-tokenizer SmolLM2's tokenizer.json uses,
  Sequence([Digits(individual_digits=True), ByteLevel(add_prefix_space=False, use_regex=True)]),
  and every control / user-defined token (token_type 3 or 4) added as a special token.
It also records the pieces the gpt2, smollm, llama3 and qwen2 pre-tokenizer patterns produce
(`Split(Regex(pattern), "isolated")`), to test the hand-written scanners on their own.

It also writes gguf_smollm2_tensors.json: for a few tensors, what the `gguf` package's
reader says about them (type, dims, absolute data offset, size, first bytes), to check the
Swift GGUF reader against.

Usage (deps: pip install numpy gguf tokenizers):
    python3 scripts/make_tokenizer_fixture.py [path/to/SmolLM2-135M-Instruct.Q4_1.gguf]
"""
import json
import os
import sys

from gguf import GGUFReader
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers
import tokenizers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL_REL = "models/SmolLM2-135M-Instruct.Q4_1.gguf"
OUT = os.path.join(ROOT, "Tests/FrontendsTests/Fixtures/tokenizer_smollm2.json")
TENSORS_OUT = os.path.join(ROOT, "Tests/FrontendsTests/Fixtures/gguf_smollm2_tensors.json")

GPT2 = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
LLAMA3 = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"""
          r""" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""")
# Qwen 2's (llama.cpp's LLAMA_VOCAB_PRE_TYPE_QWEN2): LLaMA 3's with single digits.
QWEN2 = LLAMA3.replace(r"\p{N}{1,3}", r"\p{N}")

FILES = ["/usr/share/common-licenses/GPL-3", "/usr/share/common-licenses/Apache-2.0"]

TEXTS = [
    "",
    " ",
    "\n",
    "Hello, world!",
    "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
    "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
    "<|im_start|><|im_end|><|endoftext|>",
    "<|im_start|user <|im_end|>> text<|im_end|>more<|endoftext|",
    "<file_sep><filename>main.py\n<gh_stars>10\n<repo_name>a/b",
    "12345 3.14",
    "Pi is 3.14159, e is 2.71828; 1,000,000 and 007. Year 2024 was 100% great!!!",
    "Full-width １２３, superscripts x² + y³, fractions ½ ¾, roman Ⅻ, Arabic-Indic ٣٤٥",
    "Café naïve résumé — déjà vu, Ærøskøbing, Straße, İstanbul",
    "Decomposed: Cafe\u0301 and n\u0303",
    "你好，世界。日本語のテキストです。한국어 안녕하세요",
    "Emoji: Hello 👋🏽 world 🌍! Family 👨‍👩‍👧‍👦 flag 🇺🇸 heart ❤️",
    "مرحبا بالعالم and नमस्ते दुनिया and Привет, мир",
    "a  b   c\n\n\nd\t\te \r\n f",
    "   leading and trailing   ",
    "trailing newlines\n\n",
    "tabs\tand\u00a0nbsp\u3000ideographic\u2003em\u2028line-sep\u0085nel",
    "I'm you're he'll she'd it's we've they'll DON'T I'M 'S ''s ' s",
    "def f(x):\n    return x**2  # comment\n\tif x>=10: print('hi')\n\n\n    pass\n",
    "e-mail: foo@bar.com, URL: https://example.com/a?b=c&d=1#frag",
    "=" * 300,
    " " * 200 + "x",
    "a" * 500,
    "\u0000\u0001\u007f control chars \u200b zero width \ufeff bom",
]


def random_texts(n=150, seed=1234):
    """Short strings mixing the classes the patterns care about, from a fixed seed."""
    import random
    rng = random.Random(seed)
    pool = (list("abcXYZ") + list("0189") + [" ", " ", " ", "\n", "\r", "\t", "\u00a0", "\u3000"]
            + ["'", "'", "'"] + list("sStTrReEvVmMlLdD") + list(".,!?-_()<>|#")
            + ["é", "ß", "İ", "\u0301", "½", "Ⅻ", "٣", "你", "好", "😀", "👍🏽", "\u200b"]
            + ["<|im_start|>", "<|im_end|>", "<|endoftext|>"])
    return ["".join(rng.choice(pool) for _ in range(rng.randint(1, 40))) for _ in range(n)]


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def tensor_facts(model_path):
    import numpy as np
    r = GGUFReader(model_path)
    names = ["token_embd.weight", "blk.0.attn_norm.weight", "blk.0.attn_q.weight", "blk.29.ffn_down.weight",
             "output_norm.weight"]
    facts = []
    for t in r.tensors:
        if t.name not in names:
            continue
        raw = np.asarray(t.data).tobytes()
        assert len(raw) == int(t.n_bytes)
        facts.append({"name": t.name, "type": int(t.tensor_type), "dims": [int(d) for d in t.shape],
                      "file_offset": int(t.data_offset), "n_bytes": int(t.n_bytes),
                      "first_bytes": list(raw[:16]), "fnv1a64_first_4096": str(fnv1a64(raw[:4096]))})
    return {"model": MODEL_REL, "reference": "gguf (Python) GGUFReader", "tensor_count": len(r.tensors),
            "tensors": facts}


def load_vocab(model_path):
    r = GGUFReader(model_path)

    def field(name):
        return r.fields[name].contents()

    assert field("tokenizer.ggml.model") == "gpt2"
    assert field("tokenizer.ggml.pre") == "smollm"
    return field("tokenizer.ggml.tokens"), field("tokenizer.ggml.merges"), field("tokenizer.ggml.token_type")


def build_tokenizer(tokens, merges, types):
    vocab = {t: i for i, t in enumerate(tokens)}
    pairs = [tuple(m.split(" ", 1)) for m in merges]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=pairs))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tok.decoder = decoders.ByteLevel()
    specials = [AddedToken(t, special=True, normalized=False, single_word=False, lstrip=False, rstrip=False)
                for t, ty in zip(tokens, types) if ty in (3, 4)]
    tok.add_special_tokens(specials)
    return tok


def splitter(name):
    split = lambda p: pre_tokenizers.Split(Regex(p), behavior="isolated")
    if name == "gpt2":
        return split(GPT2)
    if name == "smollm":
        return pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True), split(GPT2)])
    if name == "llama3":
        return split(LLAMA3)
    if name == "qwen2":
        return split(QWEN2)
    raise ValueError(name)


def main():
    model = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, MODEL_REL)
    tokens, merges, types = load_vocab(model)
    tok = build_tokenizer(tokens, merges, types)

    encode = []
    for path in FILES:
        data = open(path, "rb").read()
        text = data.decode("utf-8")
        enc = tok.encode(text, add_special_tokens=False)
        assert tok.decode(enc.ids, skip_special_tokens=False) == text
        encode.append({"file": path, "bytes": len(data), "fnv1a64": str(fnv1a64(data)), "ids": enc.ids})
    for text in TEXTS + random_texts():
        enc = tok.encode(text, add_special_tokens=False)
        encode.append({"text": text, "ids": enc.ids})

    pretokenize = []
    for name in ["gpt2", "smollm", "llama3", "qwen2"]:
        sp = splitter(name)
        for text in TEXTS + [t for t in random_texts() if "<|" not in t]:
            if len(text) > 120:
                continue
            pieces = [p for p, _ in sp.pre_tokenize_str(text)]
            assert "".join(pieces) == text
            pretokenize.append({"pattern": name, "text": text, "pieces": pieces})

    out = {
        "model": MODEL_REL,
        "reference": f"Hugging Face tokenizers {tokenizers.__version__}: BPE from the GGUF vocab/merges, "
                     "Digits(individual_digits) + ByteLevel(add_prefix_space=False), "
                     "token_type 3/4 as special tokens; pre-tokenizer pieces from Split(Regex, isolated)",
        "generator": "scripts/make_tokenizer_fixture.py",
        "encode": encode,
        "pretokenize": pretokenize,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f, ensure_ascii=True, separators=(",", ":"))
        f.write("\n")
    with open(TENSORS_OUT, "w") as f:
        json.dump(tensor_facts(model), f, indent=1)
        f.write("\n")
    print(f"wrote {OUT}: {len(encode)} encode cases, {len(pretokenize)} pre-tokenizer cases, "
          f"{os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
