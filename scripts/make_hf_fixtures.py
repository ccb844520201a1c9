#!/usr/bin/env python3
"""Makes small random-weight Hugging Face / ONNX models and reference outputs for
Sluice's safetensors, config.json, GPT-2 and ONNX front-end tests.

Reference implementations: PyTorch (CPU, float32, eager attention) through
`transformers`, and onnxruntime (CPUExecutionProvider) for the ONNX exports.
Nothing is downloaded: every config is built here, and the tokenizer is trained
with `tokenizers` on the fixed text below.

Writes into OUTDIR:
  llama/        LlamaForCausalLM, bfloat16 safetensors, untied head, GQA (4 q heads, 2 kv heads)
  gpt2/         GPT2LMHeadModel, float32, sharded safetensors (model.safetensors.index.json)
  llama_tied/   LlamaForCausalLM, float16, tie_word_embeddings=True (no lm_head.weight stored)
  onnx/         ONNX exports (TorchScript and dynamo exporters, with / without KV cache) and
                onnxruntime outputs
  onnx_external/ llama_nocache_ts.onnx again, weights in llama_nocache_ts.onnx.data
  reference.json prompts, configs, tokenizer checks, greedy continuations, ONNX I/O and op lists

Each model folder also holds <name>_logits_<i>.npy (float32 [T, vocab], all prompt positions)
and <name>_steps_<i>.npy (float32 [8, vocab]: the logits returned by each of the 8 KV-cache
steps that feed the greedy tokens one at a time; greedy token 0 is argmax of the prompt's last
row, token k+1 is argmax of steps[k]).

Usage (deps: torch, transformers>=5, tokenizers, safetensors, onnx, onnxruntime, onnxscript):
    PYTHONUNBUFFERED=1 python3 scripts/make_hf_fixtures.py OUTDIR
"""
import json
import os
import shutil
import sys
import traceback

import numpy as np
import torch
from torch import nn

import tokenizers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
import transformers
from transformers import (GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM,
                          PreTrainedTokenizerFast)
from transformers.cache_utils import DynamicCache

EOT = "<|endoftext|>"

CORPUS = """\
The river starts high in the mountains, where snow melts slowly in the spring. Small streams
join together and run down through the pine forest, past the old mill and the stone bridge.
By the time the water reaches the valley, it is wide and calm, and children play on its banks
while their parents watch from the shade of the willow trees.

In the town beside the river there is a market every Saturday morning. Farmers bring apples,
pears, cabbages, carrots, fresh bread, cheese and honey. A baker sells warm rolls, and an old
man plays the violin near the fountain. People talk about the weather, the harvest, the price
of wheat and the news from the city. Nobody is in a hurry; the market closes at noon.

The library is the oldest building in the town. Its shelves hold thousands of books: novels,
histories, atlases, dictionaries and collections of letters written two hundred years ago.
The librarian knows where every volume stands. She says that a good book is like a window,
because it lets you see a world that you could never visit on your own.

Computers learn patterns from examples. A language model reads a great deal of text and learns
to predict the next word in a sentence. It does not understand the words the way a person does,
but it can still write letters, answer questions, translate between languages and summarize
long reports. Engineers measure its quality with tests, benchmarks and careful comparisons.

On clear nights the sky above the valley is full of stars. Astronomers from the university
come with their telescopes to watch the planets, the moon and distant galaxies. They record
their observations in notebooks, compare them with older measurements, and sometimes discover
a comet that nobody has seen before. The numbers 1, 2, 3, 42, 100 and 2024 appear in their tables.

Winter arrives early in the north. The first frost covers the fields, the lake freezes, and the
roads become slippery and dangerous. Families gather around the fire in the evening, telling
stories, singing songs and drinking hot chocolate. In the morning the whole world is white and
quiet, and the only sound is the crunch of boots on fresh snow.

The engineer opened her laptop, checked the logs, and found the bug in less than an hour: a
missing comma in a configuration file. "Always read the error message first," she told the new
student. "It usually says exactly what went wrong, even if it sounds strange at the beginning."
"""

# One prompt is this sentence's encoding; it must be 16 tokens long.
SENTENCE = "The old man sells warm bread and honey at the market near the river."

TOKENIZER_CHECKS = [
    SENTENCE,
    "Hello world!",
    "The quick brown fox jumps over the lazy dog.",
    "  leading spaces and\ttabs\nnew lines",
    "numbers 12345 and 3.14159",
    "caf\u00e9 na\u00efve \u65e5\u672c\u8a9e \U0001f600",
    "end of text" + EOT + "next document",
    "",
]


def log(*a):
    print(*a, flush=True)


def train_tokenizer():
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=999, min_frequency=1, show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), special_tokens=[])
    paragraphs = [p for p in CORPUS.split("\n\n")]
    tok.train_from_iterator(paragraphs, trainer=trainer)
    # GPT-2 style: the special token comes after the BPE vocabulary.
    tok.add_special_tokens([EOT])
    return tok


def save_tokenizer(tok, folder, eot_id):
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=EOT, eos_token=EOT,
                                   unk_token=EOT)
    fast.save_pretrained(folder)
    # Also write tokenizer.json exactly as `tokenizers` serializes it (save_pretrained does the same).
    tok.save(os.path.join(folder, "tokenizer.json"))


def perturb(model, seed):
    """Randomize norm weights and biases too (random init leaves them at 1 / 0)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.ndim == 1 and name.endswith("weight"):  # RMSNorm / LayerNorm gains
                p.copy_(0.5 + torch.rand(p.shape, generator=g))
            elif name.endswith("bias"):
                p.copy_(0.05 * torch.randn(p.shape, generator=g))


def greedy_with_cache(model, ids, n_new):
    """Prompt, then n_new single-token steps with the KV cache. Returns (tokens, prompt_logits, steps)."""
    with torch.no_grad():
        out = model(input_ids=torch.tensor([ids], dtype=torch.int64), use_cache=True)
        prompt_logits = out.logits[0].float().numpy()
        past = out.past_key_values
        tok = int(out.logits[0, -1].argmax())
        tokens, steps = [tok], []
        for k in range(n_new):
            out = model(input_ids=torch.tensor([[tok]], dtype=torch.int64), past_key_values=past,
                        use_cache=True)
            past = out.past_key_values
            steps.append(out.logits[0, -1].float().numpy())
            tok = int(out.logits[0, -1].argmax())
            if k + 1 < n_new:
                tokens.append(tok)
    return tokens, prompt_logits, np.stack(steps)


def full_logits(model, ids):
    with torch.no_grad():
        return model(input_ids=torch.tensor([ids], dtype=torch.int64), use_cache=False).logits[0].numpy()


def folder_files(folder):
    return {f: os.path.getsize(os.path.join(folder, f)) for f in sorted(os.listdir(folder))}


# ----------------------------------------------------------------------------- ONNX

class NoCache(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids):
        # An empty cache (rather than use_cache=False) keeps transformers from adding its
        # packed-sequence detection (aten::diff, which the TorchScript exporter cannot export)
        # to the graph: the mask is then a plain causal mask over the input's positions.
        return self.m(input_ids=input_ids, past_key_values=DynamicCache(), use_cache=True).logits


class WithCache(nn.Module):
    """Flat past tensors in, logits + flat present tensors out (2 layers)."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids, attention_mask, position_ids, pk0, pv0, pk1, pv1):
        cache = DynamicCache(ddp_cache_data=[(pk0, pv0), (pk1, pv1)])
        out = self.m(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                     past_key_values=cache, use_cache=True)
        res = [out.logits]
        for layer in out.past_key_values.layers:
            res += [layer.keys, layer.values]
        return tuple(res)


def cache_names(n_layers):
    ins = ["input_ids", "attention_mask", "position_ids"]
    outs = ["logits"]
    for i in range(n_layers):
        ins += [f"past_key_values.{i}.key", f"past_key_values.{i}.value"]
        outs += [f"present.{i}.key", f"present.{i}.value"]
    return ins, outs


def example_cache_inputs(kv_heads, head_dim, n_layers, past=3, seq=2):
    ids = torch.randint(0, 900, (1, seq), dtype=torch.int64)
    mask = torch.ones((1, past + seq), dtype=torch.int64)
    pos = torch.arange(past, past + seq, dtype=torch.int64).unsqueeze(0)
    kv = [torch.randn(1, kv_heads, past, head_dim) for _ in range(2 * n_layers)]
    return (ids, mask, pos, *kv)


def export_ts(model, path, cache, kv_heads=None, head_dim=None, n_layers=2):
    if not cache:
        args = (torch.randint(0, 900, (1, 7), dtype=torch.int64),)
        torch.onnx.export(NoCache(model).eval(), args, path, dynamo=False, opset_version=17,
                          input_names=["input_ids"], output_names=["logits"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "seq"},
                                        "logits": {0: "batch", 1: "seq"}},
                          do_constant_folding=True)
        return
    ins, outs = cache_names(n_layers)
    axes = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "total"},
            "position_ids": {0: "batch", 1: "seq"}, "logits": {0: "batch", 1: "seq"}}
    for n in ins[3:]:
        axes[n] = {0: "batch", 2: "past"}
    for n in outs[1:]:
        axes[n] = {0: "batch", 2: "total"}
    torch.onnx.export(WithCache(model).eval(), example_cache_inputs(kv_heads, head_dim, n_layers),
                      path, dynamo=False, opset_version=17, input_names=ins, output_names=outs,
                      dynamic_axes=axes, do_constant_folding=True)


def export_dynamo(model, path, cache, kv_heads=None, head_dim=None, n_layers=2):
    D = torch.export.Dim.DYNAMIC
    if not cache:
        args = (torch.randint(0, 900, (1, 7), dtype=torch.int64),)
        prog = torch.onnx.export(NoCache(model).eval(), args, dynamo=True, opset_version=18,
                                 input_names=["input_ids"], output_names=["logits"],
                                 dynamic_shapes=({0: D, 1: D},))
    else:
        ins, outs = cache_names(n_layers)
        ds = ({0: D, 1: D}, {0: D, 1: D}, {0: D, 1: D}) + tuple({0: D, 2: D} for _ in range(2 * n_layers))
        prog = torch.onnx.export(WithCache(model).eval(), example_cache_inputs(kv_heads, head_dim, n_layers),
                                 dynamo=True, opset_version=18, input_names=ins, output_names=outs,
                                 dynamic_shapes=ds)
    prog.save(path, external_data=False)


def dims(vi):
    out = []
    for d in vi.type.tensor_type.shape.dim:
        out.append(d.dim_param if d.HasField("dim_param") else (d.dim_value if d.HasField("dim_value") else "?"))
    return out


def describe_onnx(path):
    import onnx
    m = onnx.load(path, load_external_data=False)
    top = sorted({(n.domain, n.op_type) for n in m.graph.node})
    sub = set()

    def walk(g):
        for n in g.node:
            for a in n.attribute:
                for sg in ([a.g] if a.HasField("g") else []) + list(a.graphs):
                    for sn in sg.node:
                        sub.add((sn.domain, sn.op_type))
                    walk(sg)
    walk(m.graph)
    T = onnx.TensorProto
    etype = lambda vi: T.DataType.Name(vi.type.tensor_type.elem_type)
    return {
        "opset_imports": sorted([[o.domain, o.version] for o in m.opset_import]),
        "ir_version": m.ir_version,
        "producer": f"{m.producer_name} {m.producer_version}",
        "inputs": [{"name": i.name, "type": etype(i), "shape": dims(i)} for i in m.graph.input],
        "outputs": [{"name": o.name, "type": etype(o), "shape": dims(o)} for o in m.graph.output],
        "op_types": [list(t) for t in top],
        "subgraph_op_types": [list(t) for t in sorted(sub - set(top))],
        "node_count": len(m.graph.node),
        "initializer_count": len(m.graph.initializer),
        "external_data": any(t.data_location == T.EXTERNAL for t in m.graph.initializer),
        "file_bytes": os.path.getsize(path),
    }


def ort_session(path):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def run_onnx_checks(path, label, prompts, torch_ref, cache, kv_heads, head_dim, n_layers, outdir):
    """torch_ref[i] = (prompt_logits [T,V], steps [8,V], greedy tokens)."""
    sess = ort_session(path)
    in_names = [i.name for i in sess.get_inputs()]
    res = {"prompt_max_abs_diff": [], "step_max_abs_diff": [], "argmax_agrees": True}
    for i, ids in enumerate(prompts):
        ref_logits, ref_steps, toks = torch_ref[i]
        if not cache:
            (lg,) = sess.run(["logits"], {"input_ids": np.array([ids], dtype=np.int64)})
            lg = lg[0]
            np.save(os.path.join(outdir, f"{label}_logits_{i}.npy"), lg.astype(np.float32))
            res["prompt_max_abs_diff"].append(float(np.abs(lg - ref_logits).max()))
            res["argmax_agrees"] &= bool((lg.argmax(-1) == ref_logits.argmax(-1)).all())
            continue
        T = len(ids)
        feeds = {"input_ids": np.array([ids], dtype=np.int64),
                 "attention_mask": np.ones((1, T), dtype=np.int64),
                 "position_ids": np.arange(T, dtype=np.int64)[None]}
        for l in range(n_layers):
            for kv in ("key", "value"):
                feeds[f"past_key_values.{l}.{kv}"] = np.zeros((1, kv_heads, 0, head_dim), np.float32)
        feeds = {k: v for k, v in feeds.items() if k in in_names}
        outs = sess.run(None, feeds)
        out_names = [o.name for o in sess.get_outputs()]
        lg = outs[0][0]
        np.save(os.path.join(outdir, f"{label}_logits_{i}.npy"), lg.astype(np.float32))
        res["prompt_max_abs_diff"].append(float(np.abs(lg - ref_logits).max()))
        res["argmax_agrees"] &= bool((lg.argmax(-1) == ref_logits.argmax(-1)).all())
        steps = []
        for s in range(3):
            pos = T + s
            feeds = {"input_ids": np.array([[toks[s]]], dtype=np.int64),
                     "attention_mask": np.ones((1, pos + 1), dtype=np.int64),
                     "position_ids": np.array([[pos]], dtype=np.int64)}
            for l in range(n_layers):
                for kv in ("key", "value"):
                    feeds[f"past_key_values.{l}.{kv}"] = outs[out_names.index(f"present.{l}.{kv}")]
            feeds = {k: v for k, v in feeds.items() if k in in_names}
            outs = sess.run(None, feeds)
            steps.append(outs[0][0, -1])
        steps = np.stack(steps).astype(np.float32)
        np.save(os.path.join(outdir, f"{label}_steps_{i}.npy"), steps)
        res["step_max_abs_diff"].append(float(np.abs(steps - ref_steps[:3]).max()))
        res["argmax_agrees"] &= bool((steps.argmax(-1) == ref_steps[:3].argmax(-1)).all())
        res["present_shape_after_3_steps"] = [list(o.shape) for o in outs[1:3]]
    return res


# ----------------------------------------------------------------------------- main

def main():
    outdir = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "hf_fixtures")
    if os.path.exists(outdir):
        shutil.rmtree(outdir)
    os.makedirs(outdir)
    torch.manual_seed(0)
    np.random.seed(0)
    torch.set_num_threads(min(4, torch.get_num_threads()))
    ref = {"versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                        "tokenizers": tokenizers.__version__, "numpy": np.__version__},
           "errors": {}}

    # ---- tokenizer
    tok = train_tokenizer()
    eot_id = tok.token_to_id(EOT)
    tok_size = tok.get_vocab_size(with_added_tokens=True)
    sent_ids = tok.encode(SENTENCE).ids
    assert len(sent_ids) == 16, (len(sent_ids), sent_ids)
    assert tok.decode(sent_ids) == SENTENCE
    log("tokenizer size", tok_size, "eot", eot_id, "sentence ids", sent_ids)
    ref["tokenizer"] = {
        "vocab_size_with_added": tok_size, "eot_token": EOT, "eot_id": eot_id,
        "merges": len(json.loads(tok.to_str())["model"]["merges"]),
        "checks": [{"text": t, "ids": tok.encode(t).ids,
                    "decoded": tok.decode(tok.encode(t).ids, skip_special_tokens=False)}
                   for t in TOKENIZER_CHECKS],
    }
    g = torch.Generator().manual_seed(1234)
    prompts = [torch.randint(0, eot_id, (5,), generator=g).tolist(),
               torch.randint(0, eot_id, (9,), generator=g).tolist(),
               sent_ids]
    ref["prompts"] = prompts
    ref["prompt_texts"] = [None, None, SENTENCE]
    ref["n_new_tokens"] = 8

    specs = {
        "llama": dict(cls=LlamaForCausalLM, dtype=torch.bfloat16, save_kw={},
                      cfg=LlamaConfig(vocab_size=1000, hidden_size=128, intermediate_size=256,
                                      num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                                      max_position_embeddings=256, rms_norm_eps=1e-5,
                                      rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
                                      tie_word_embeddings=False, initializer_range=0.1,
                                      bos_token_id=eot_id, eos_token_id=eot_id)),
        "gpt2": dict(cls=GPT2LMHeadModel, dtype=torch.float32, save_kw={"max_shard_size": "1MB"},
                     cfg=GPT2Config(vocab_size=1000, n_embd=128, n_layer=2, n_head=4, n_positions=256,
                                    activation_function="gelu_new", layer_norm_epsilon=1e-5,
                                    initializer_range=0.1, bos_token_id=eot_id, eos_token_id=eot_id)),
        "llama_tied": dict(cls=LlamaForCausalLM, dtype=torch.float16, save_kw={},
                           cfg=LlamaConfig(vocab_size=1000, hidden_size=64, intermediate_size=128,
                                           num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4,
                                           max_position_embeddings=256, rms_norm_eps=1e-5,
                                           rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
                                           tie_word_embeddings=True, initializer_range=0.1,
                                           bos_token_id=eot_id, eos_token_id=eot_id)),
    }
    loaded = {}
    ref["models"] = {}
    for si, (name, sp) in enumerate(specs.items()):
        folder = os.path.join(outdir, name)
        torch.manual_seed(100 + si)
        cfg = sp["cfg"]
        cfg._attn_implementation = "eager"
        model = sp["cls"](cfg).eval()
        perturb(model, 200 + si)
        model = model.to(sp["dtype"])
        model.save_pretrained(folder, **sp["save_kw"])
        save_tokenizer(tok, folder, eot_id)
        # Reload in float32 so the reference uses exactly the stored (rounded) weights.
        m = sp["cls"].from_pretrained(folder, dtype=torch.float32, attn_implementation="eager").eval()
        loaded[name] = m
        from safetensors import safe_open
        stored = {}
        for f in sorted(os.listdir(folder)):
            if f.endswith(".safetensors"):
                with safe_open(os.path.join(folder, f), "pt") as sf:
                    for k in sf.keys():
                        t = sf.get_slice(k)
                        stored[k] = {"file": f, "dtype": t.get_dtype(), "shape": list(t.get_shape())}
        entry = {"config": json.load(open(os.path.join(folder, "config.json"))),
                 "files": folder_files(folder), "tensors": stored, "greedy": []}
        for i, ids in enumerate(prompts):
            toks, pl, steps = greedy_with_cache(m, ids, 8)
            fl = full_logits(m, ids + toks)
            entry.setdefault("cache_vs_nocache_max_abs_diff", []).append(
                float(max(np.abs(pl - fl[:len(ids)]).max(), np.abs(steps - fl[len(ids):]).max())))
            with torch.no_grad():
                gen = m.generate(torch.tensor([ids]), max_new_tokens=8, do_sample=False,
                                 pad_token_id=eot_id, eos_token_id=None)[0, len(ids):].tolist()
            assert gen == toks, (name, i, gen, toks)
            np.save(os.path.join(folder, f"{name}_logits_{i}.npy"), pl.astype(np.float32))
            np.save(os.path.join(folder, f"{name}_steps_{i}.npy"), steps.astype(np.float32))
            entry["greedy"].append(toks)
            log(name, "prompt", i, "greedy", toks, "logit std", float(pl.std()))
        entry["logits_std"] = float(pl.std())
        ref["models"][name] = entry

    # ---- ONNX
    import onnx
    onnx_dir = os.path.join(outdir, "onnx")
    ext_dir = os.path.join(outdir, "onnx_external")
    os.makedirs(onnx_dir)
    os.makedirs(ext_dir)
    ref["onnx"] = {}
    ref["onnx_protocol"] = (
        "nocache: feed input_ids [1,T] int64, read logits [1,T,vocab]. cache: first call feeds the prompt "
        "with attention_mask=ones[1,T] int64, position_ids=arange(T)[None] int64 and empty past "
        "[1,kv_heads,0,head_dim] float32; then 3 calls feed greedy tokens 0,1,2 one at a time with "
        "attention_mask=ones[1,pos+1], position_ids=[[pos]] and past = previous present. <file>_steps_<i>.npy "
        "holds the 3 step logits; compare with <model>_steps_<i>.npy[:3].")
    torch_ref = {}
    for name in ("llama", "gpt2"):
        torch_ref[name] = []
        for i in range(len(prompts)):
            folder = os.path.join(outdir, name)
            torch_ref[name].append((np.load(os.path.join(folder, f"{name}_logits_{i}.npy")),
                                    np.load(os.path.join(folder, f"{name}_steps_{i}.npy")),
                                    ref["models"][name]["greedy"][i]))
    jobs = [("llama_nocache_ts", "llama", "ts", False), ("llama_cache_ts", "llama", "ts", True),
            ("llama_nocache_dynamo", "llama", "dynamo", False), ("llama_cache_dynamo", "llama", "dynamo", True),
            ("gpt2_nocache_ts", "gpt2", "ts", False), ("gpt2_cache_ts", "gpt2", "ts", True)]
    for label, mname, kind, cache in jobs:
        m = loaded[mname]
        c = m.config
        kvh = getattr(c, "num_key_value_heads", None) or c.num_attention_heads
        hd = c.hidden_size // c.num_attention_heads
        path = os.path.join(onnx_dir, label + ".onnx")
        log("export", label)
        try:
            if kind == "ts":
                export_ts(m, path, cache, kvh, hd)
            else:
                export_dynamo(m, path, cache, kvh, hd)
            onnx.checker.check_model(path)
            info = describe_onnx(path)
            info["exporter"] = "torch.onnx.export(dynamo=%s)" % (kind == "dynamo")
            info["model"] = mname
            info["onnxruntime"] = run_onnx_checks(path, label, prompts, torch_ref[mname], cache, kvh, hd,
                                                  c.num_hidden_layers, onnx_dir)
            ref["onnx"][label + ".onnx"] = info
            log(label, "ok", info["onnxruntime"])
        except Exception as e:  # record and go on
            ref["errors"][label] = "".join(traceback.format_exception_only(type(e), e))[-4000:]
            log(label, "FAILED", ref["errors"][label])
            traceback.print_exc()
            for f in os.listdir(onnx_dir):
                if f.startswith(label + "."):
                    os.remove(os.path.join(onnx_dir, f))

    # ---- external-data copy of the TorchScript no-cache llama
    try:
        src = os.path.join(onnx_dir, "llama_nocache_ts.onnx")
        mp = onnx.load(src)
        dst = os.path.join(ext_dir, "llama_nocache_ts.onnx")
        onnx.save_model(mp, dst, save_as_external_data=True, all_tensors_to_one_file=True,
                        location="llama_nocache_ts.onnx.data", size_threshold=1024)
        info = describe_onnx(dst)
        info["model"] = "llama"
        info["onnxruntime"] = run_onnx_checks(dst, "llama_nocache_ts_external", prompts, torch_ref["llama"],
                                              False, None, None, 2, ext_dir)
        info["data_file_bytes"] = os.path.getsize(dst + ".data")
        ref["onnx"]["onnx_external/llama_nocache_ts.onnx"] = info
    except Exception as e:
        ref["errors"]["onnx_external"] = "".join(traceback.format_exception_only(type(e), e))[-4000:]
        traceback.print_exc()

    import onnxruntime
    ref["versions"].update(onnx=onnx.__version__, onnxruntime=onnxruntime.__version__)
    try:
        import onnxscript
        ref["versions"]["onnxscript"] = onnxscript.__version__
    except Exception:
        pass
    with open(os.path.join(outdir, "reference.json"), "w") as f:
        json.dump(ref, f, indent=1, ensure_ascii=False)
    log("errors:", json.dumps(ref["errors"], indent=1))
    total = 0
    for root, _, files in os.walk(outdir):
        for f in files:
            total += os.path.getsize(os.path.join(root, f))
    log("total bytes", total)


if __name__ == "__main__":
    main()
