#!/usr/bin/env python3
"""Converts the random-weight Hugging Face GPT-2 fixture (Tests/FrontendsTests/Fixtures/hf/gpt2,
made by scripts/make_hf_fixtures.py) into GGUF files laid out as llama.cpp's converter lays out
GPT-2 (names from gguf.constants.MODEL_TENSORS[MODEL_ARCH.GPT2]):

  gpt2_f32.gguf   every tensor float32
  gpt2_q8_0.gguf  2-D matrices (token_embd, output, attn_qkv, attn_output, ffn_up, ffn_down) Q8_0;
                  norms, biases and position_embd float32

HF GPT-2 uses Conv1D layers whose weight is stored [in, out]; they are transposed to [out, in]
(numpy shape), which is GGUF ne = [in, out] like every other ggml matrix. The tied head is written
as output.weight (a copy of token_embd.weight), as llama.cpp's converter does.

It then checks both files: read back with gguf.GGUFReader, a small numpy GPT-2 forward pass on the
GGUF tensors is compared with the torch logits stored next to the HF model (gpt2_logits_<i>.npy).
The numpy logits on the dequantized Q8_0 weights are saved as gpt2_q8_0_numpy_logits_<i>.npy
(float32 [T, vocab]), and the check results as gguf_gpt2_check.json.

Usage (deps: numpy, gguf):  .venv/bin/python scripts/make_gguf_gpt2.py [HF_GPT2_DIR [OUT_DIR]]
"""
import json
import os
import struct
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType, GGUFReader, GGUFWriter
from gguf.constants import MODEL_ARCH, MODEL_TENSOR, MODEL_TENSORS, TENSOR_NAMES

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "Tests/FrontendsTests/Fixtures/hf")


def read_safetensors(path):
    """Minimal safetensors reader (F32 / F16 / BF16)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        raw = data[a:b]
        dt = info["dtype"]
        if dt == "F32":
            arr = np.frombuffer(raw, dtype="<f4")
        elif dt == "F16":
            arr = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        elif dt == "BF16":
            arr = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            raise ValueError(f"{name}: dtype {dt}")
        out[name] = arr.reshape(info["shape"]).astype(np.float32)
    return out


def load_hf(folder):
    idx = os.path.join(folder, "model.safetensors.index.json")
    tensors = {}
    if os.path.exists(idx):
        files = sorted(set(json.load(open(idx))["weight_map"].values()))
    else:
        files = ["model.safetensors"]
    for f in files:
        tensors.update(read_safetensors(os.path.join(folder, f)))
    return tensors


def name_of(t, bid=None):
    n = TENSOR_NAMES[t]
    return n.format(bid=bid) if bid is not None else n


def gguf_tensors(hf, n_layer):
    """[(gguf name, float32 array in numpy [out, in] layout)] in llama.cpp's order."""
    assert set(MODEL_TENSORS[MODEL_ARCH.GPT2]) >= {
        MODEL_TENSOR.TOKEN_EMBD, MODEL_TENSOR.POS_EMBD, MODEL_TENSOR.OUTPUT_NORM, MODEL_TENSOR.OUTPUT,
        MODEL_TENSOR.ATTN_NORM, MODEL_TENSOR.ATTN_QKV, MODEL_TENSOR.ATTN_OUT, MODEL_TENSOR.FFN_NORM,
        MODEL_TENSOR.FFN_UP, MODEL_TENSOR.FFN_DOWN}
    p = "transformer."
    out = [(name_of(MODEL_TENSOR.TOKEN_EMBD) + ".weight", hf[p + "wte.weight"]),
           (name_of(MODEL_TENSOR.POS_EMBD) + ".weight", hf[p + "wpe.weight"])]
    conv = {"attn.c_attn": MODEL_TENSOR.ATTN_QKV, "attn.c_proj": MODEL_TENSOR.ATTN_OUT,
            "mlp.c_fc": MODEL_TENSOR.FFN_UP, "mlp.c_proj": MODEL_TENSOR.FFN_DOWN}
    norms = {"ln_1": MODEL_TENSOR.ATTN_NORM, "ln_2": MODEL_TENSOR.FFN_NORM}
    for i in range(n_layer):
        h = f"{p}h.{i}."
        for hn, t in [("ln_1", norms["ln_1"]), ("attn.c_attn", conv["attn.c_attn"]),
                      ("attn.c_proj", conv["attn.c_proj"]), ("ln_2", norms["ln_2"]),
                      ("mlp.c_fc", conv["mlp.c_fc"]), ("mlp.c_proj", conv["mlp.c_proj"])]:
            w = hf[h + hn + ".weight"]
            if hn in conv:
                w = np.ascontiguousarray(w.T)  # Conv1D [in, out] -> [out, in]
            out.append((name_of(t, i) + ".weight", w))
            out.append((name_of(t, i) + ".bias", hf[h + hn + ".bias"]))
    out.append((name_of(MODEL_TENSOR.OUTPUT_NORM) + ".weight", hf[p + "ln_f.weight"]))
    out.append((name_of(MODEL_TENSOR.OUTPUT_NORM) + ".bias", hf[p + "ln_f.bias"]))
    out.append((name_of(MODEL_TENSOR.OUTPUT) + ".weight", hf.get("lm_head.weight", hf[p + "wte.weight"])))
    return out


def tokenizer_fields(folder):
    tj = json.load(open(os.path.join(folder, "tokenizer.json")))
    vocab = dict(tj["model"]["vocab"])
    special = {}
    for a in tj["added_tokens"]:
        vocab[a["content"]] = a["id"]
        if a["special"]:
            special[a["id"]] = a["content"]
    n = max(vocab.values()) + 1
    tokens = [None] * n
    for s, i in vocab.items():
        tokens[i] = s
    assert all(t is not None for t in tokens)
    types = [int(gguf.TokenType.CONTROL) if i in special else int(gguf.TokenType.NORMAL) for i in range(n)]
    merges = [m if isinstance(m, str) else " ".join(m) for m in tj["model"]["merges"]]
    eot = next(i for i, s in special.items() if s == "<|endoftext|>")
    return tokens, types, merges, eot


def write(path, cfg, tensors, tok, q8):
    tokens, types, merges, eot = tok
    w = GGUFWriter(path, "gpt2")
    w.add_name("sluice-test-gpt2")
    w.add_context_length(cfg["n_positions"])
    w.add_embedding_length(cfg["n_embd"])
    w.add_feed_forward_length(cfg["n_inner"] or 4 * cfg["n_embd"])
    w.add_block_count(cfg["n_layer"])
    w.add_head_count(cfg["n_head"])
    w.add_layer_norm_eps(cfg["layer_norm_epsilon"])
    w.add_file_type(int(gguf.LlamaFileType.MOSTLY_Q8_0 if q8 else gguf.LlamaFileType.ALL_F32))
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("gpt-2")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_bos_token_id(eot)
    w.add_eos_token_id(eot)
    for name, arr in tensors:
        if q8 and arr.ndim == 2 and not name.startswith("position_embd"):
            qa = gguf.quants.quantize(arr, GGMLQuantizationType.Q8_0)
            w.add_tensor(name, qa, raw_dtype=GGMLQuantizationType.Q8_0)
        else:
            w.add_tensor(name, arr.astype(np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


# --------------------------------------------------------------------------- check

def read_gguf(path):
    r = GGUFReader(path)
    t = {}
    for x in r.tensors:
        a = gguf.quants.dequantize(x.data, x.tensor_type)
        shape = [int(d) for d in reversed(x.shape)]  # x.shape is ne (innermost first)
        t[x.name] = np.asarray(a, dtype=np.float32).reshape(shape)
    kv = {}
    for f in r.fields.values():
        if f.name.startswith("tokenizer.ggml.") and f.name in ("tokenizer.ggml.tokens", "tokenizer.ggml.merges",
                                                                "tokenizer.ggml.token_type"):
            continue
        try:
            kv[f.name] = f.contents()
        except Exception:
            pass
    types = {x.name: x.tensor_type.name for x in r.tensors}
    return t, kv, types


def layer_norm(x, w, b, eps):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * w + b


def gelu_new(x):
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)))


def forward(t, kv, ids):
    d = int(kv["gpt2.embedding_length"])
    nh = int(kv["gpt2.attention.head_count"])
    eps = float(kv["gpt2.attention.layer_norm_epsilon"])
    L = int(kv["gpt2.block_count"])
    T = len(ids)
    hd = d // nh
    x = t["token_embd.weight"][ids] + t["position_embd.weight"][:T]
    mask = np.triu(np.full((T, T), -np.inf, np.float32), 1)
    for i in range(L):
        b = f"blk.{i}."
        h = layer_norm(x, t[b + "attn_norm.weight"], t[b + "attn_norm.bias"], eps)
        qkv = h @ t[b + "attn_qkv.weight"].T + t[b + "attn_qkv.bias"]
        q, k, v = (qkv[:, j * d:(j + 1) * d].reshape(T, nh, hd).transpose(1, 0, 2) for j in range(3))
        s = q @ k.transpose(0, 2, 1) / np.sqrt(hd) + mask
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        a = (s @ v).transpose(1, 0, 2).reshape(T, d)
        x = x + a @ t[b + "attn_output.weight"].T + t[b + "attn_output.bias"]
        h = layer_norm(x, t[b + "ffn_norm.weight"], t[b + "ffn_norm.bias"], eps)
        h = gelu_new(h @ t[b + "ffn_up.weight"].T + t[b + "ffn_up.bias"])
        x = x + h @ t[b + "ffn_down.weight"].T + t[b + "ffn_down.bias"]
    x = layer_norm(x, t["output_norm.weight"], t["output_norm.bias"], eps)
    return x @ t["output.weight"].T


def same(a, b, tol=1e-5):
    """Whether two reports / arrays agree up to tol (numpy builds differ in the last bits)."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k], tol) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(same(x, y, tol) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and abs(a - b) <= tol
    return a == b


def save_npy(path, arr):
    """Writes arr unless the file there already agrees to 1e-4 (these references are tracked in
    git: a fresh checkout's setup leaves them unmodified)."""
    if os.path.exists(path):
        old = np.load(path)
        if old.shape == arr.shape and np.allclose(old, arr, rtol=0, atol=1e-4):
            return
    np.save(path, arr)


def main():
    hf_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(FIX, "gpt2")
    out_dir = sys.argv[2] if len(sys.argv) > 2 else FIX
    cfg = json.load(open(os.path.join(hf_dir, "config.json")))
    hf = load_hf(hf_dir)
    tensors = gguf_tensors(hf, cfg["n_layer"])
    tok = tokenizer_fields(hf_dir)
    ref = json.load(open(os.path.join(os.path.dirname(os.path.abspath(hf_dir)), "reference.json")))
    report = {}
    for fname, q8 in (("gpt2_f32.gguf", False), ("gpt2_q8_0.gguf", True)):
        path = os.path.join(out_dir, fname)
        write(path, cfg, tensors, tok, q8)
        t, kv, types = read_gguf(path)
        diffs, agree = [], True
        for i, ids in enumerate(ref["prompts"]):
            lg = forward(t, kv, np.array(ids))
            want = np.load(os.path.join(hf_dir, f"gpt2_logits_{i}.npy"))
            diffs.append(float(np.abs(lg - want).max()))
            if q8:  # reference for the dequantized weights (the torch logits differ by Q8_0 rounding)
                save_npy(os.path.join(out_dir, f"gpt2_q8_0_numpy_logits_{i}.npy"), lg.astype(np.float32))
            agree &= bool((lg.argmax(-1) == want.argmax(-1)).all())
        report[fname] = {"bytes": os.path.getsize(path), "numpy_forward_vs_torch_max_abs_diff": diffs,
                         "argmax_agrees": agree, "tensor_types": types,
                         "tensor_shapes_ne": {n: list(reversed(a.shape)) for n, a in t.items()}}
        print(fname, os.path.getsize(path), "bytes; numpy forward vs torch max |diff| per prompt:", diffs,
              "argmax agrees:", agree)
    print(json.dumps({k: str(v) for k, v in kv.items()}, indent=1))
    check = os.path.join(out_dir, "gguf_gpt2_check.json")
    if os.path.exists(check) and same(json.load(open(check)), json.loads(json.dumps(report))):
        return
    with open(check, "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
