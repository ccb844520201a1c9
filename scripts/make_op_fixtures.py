#!/usr/bin/env python3
"""Write per-operator fixtures for the CPU reference interpreter.

Each case is one op node of the graph text format (docs/OPS.md) with its inputs and the
expected outputs, computed with numpy in float64. Quantized, f16 and bf16 weights are
stored as raw GGUF bytes (base64); their expected values come from the `gguf` package's
dequantizer, not from code in this file, so the fixtures are independent of our own
decoding. Deterministic: a fixed seed, and the output is byte-identical run to run.

    pip install --target /tmp/pylib numpy gguf
    PYTHONPATH=/tmp/pylib python3 scripts/make_op_fixtures.py

Options: --out DIR (default Tests/GraphTests/Fixtures/ops next to this repo).

Every case is also re-run in float32 (sequential accumulation for dot products) and must
land within a quarter of its tolerance, so a tolerance is never tighter than an honest
f32 implementation can meet.
"""

import argparse
import json
import math
import os
import sys

import numpy as np

from op_fixture_lib import (CASES, MAX_BYTES, case, f32, graph_text, grid, make_weight, num_in, out_val, rng,
                            seq_matmul32, weight_input)


# ---------------------------------------------------------------------------- cases

def cases_embedding():
    dims = {"f32": (6, 8), "f16": (6, 8), "bf16": (6, 8), "q4_0": (5, 64), "q4_1": (5, 64),
            "q8_0": (5, 64), "q4_k": (3, 256), "q6_k": (3, 256)}
    embedding_cases(dims)


def embedding_cases(dims):
    for dt, (V, D) in dims.items():
        raw, vals, deq = make_weight(dt, (V, D))
        ids = np.array([V - 1, 0, 2, 0], dtype=np.int64)  # first, last, a repeat
        T = len(ids)
        y = deq[ids]
        name = f"embedding_{dt}"
        g = graph_text(name, [("table", "weight", dt, [V, D]), ("ids", "", "i32", ["T"])],
                       "embedding", ["table", "ids"], {}, [("y", "f32", ["T", D])])
        exact = dt in ("f32", "f16", "bf16", "q4_0", "q8_0")
        tol = 0.0 if exact else 1e-6
        note = ("a row copy of values exact in f32: must match bit for bit" if exact else
                "dequantized values are f32 products/sums of f16 scales and small ints; "
                "1e-6 allows one f32 rounding in a different operation order")
        case(name, g, {"T": T}, {"table": weight_input(dt, raw, vals, (V, D)),
                                  "ids": num_in("i32", ids)},
             {"y": out_val(y, exact=True)}, tol, note, emu={"y": f32(y)})


def matmul_cases(dims):
    T = 3
    for dt, (N, K) in dims.items():
        raw, vals, deq = make_weight(dt, (N, K), scale=0.5)
        x = grid((T, K), 0.5)
        y = x @ deq.T
        name = f"matmul_{dt}"
        g = graph_text(name, [("x", "", "f32", ["T", K]), ("w", "weight", dt, [N, K])],
                       "matmul", ["x", "w"], {}, [("y", "f32", ["T", N])])
        tol = 1e-5 if K <= 64 else 1e-4
        note = (f"dot products of length {K} accumulated in f32 (any order); "
                f"dequantized weights are exact or within one f32 rounding")
        case(name, g, {"T": T}, {"x": num_in("f32", x), "w": weight_input(dt, raw, vals, (N, K))},
             {"y": out_val(y)}, tol, note, emu={"y": seq_matmul32(x, deq)})


def cases_matmul():
    dims = {"f32": (7, 64), "f16": (7, 64), "bf16": (7, 64), "q4_0": (7, 64),
            "q4_1": (7, 64), "q8_0": (7, 64), "q4_k": (5, 256), "q6_k": (5, 256)}
    matmul_cases(dims)
    T = 3
    # leading dims beyond one: rows are all leading dims flattened
    N, K = 5, 32
    _, w, _ = make_weight("f32", (N, K))
    x = grid((2, T, K), 0.5)
    y = x @ w.T
    name = "matmul_f32_rank3"
    g = graph_text(name, [("x", "", "f32", [2, "T", K]), ("w", "weight", "f32", [N, K])],
                   "matmul", ["x", "w"], {}, [("y", "f32", [2, "T", N])])
    case(name, g, {"T": T}, {"x": num_in("f32", x), "w": num_in("f32", w)},
         {"y": out_val(y)}, 1e-5, "length-32 dot products accumulated in f32; rank-3 x",
         emu={"y": seq_matmul32(x, w)})


def cases_positions():
    P, T = 4, 3
    g = graph_text("positions", [], "positions", [], {}, [("p", "i32", ["T"])])
    case("positions", g, {"T": T, "P": P}, {},
         {"p": out_val(np.arange(P, P + T), is_int=True)}, 0.0, "integers: exact")


def cases_elementwise():
    T, D = 3, 5
    for op in ("add", "mul"):
        fn = np.add if op == "add" else np.multiply
        a, b = grid((T, D)), grid((T, D))
        name = f"{op}_same_shape"
        g = graph_text(name, [("a", "", "f32", ["T", D]), ("b", "", "f32", ["T", D])],
                       op, ["a", "b"], {}, [("y", "f32", ["T", D])])
        y = fn(a, b)
        case(name, g, {"T": T}, {"a": num_in("f32", a), "b": num_in("f32", b)},
             {"y": out_val(y)}, 1e-6, "one f32 rounding per element",
             emu={"y": fn(f32(a), f32(b))})
        b1 = grid((D,))
        name = f"{op}_broadcast_row"
        g = graph_text(name, [("a", "", "f32", ["T", D]), ("b", "", "f32", [D])],
                       op, ["a", "b"], {}, [("y", "f32", ["T", D])])
        y = fn(a, b1[None, :])
        case(name, g, {"T": T}, {"a": num_in("f32", a), "b": num_in("f32", b1)},
             {"y": out_val(y)}, 1e-6, "1-D b broadcast over rows; one f32 rounding per element",
             emu={"y": fn(f32(a), f32(b1))})
    # scale
    x = grid((T, D), 2.0)
    value = 0.3
    y = x * value
    g = graph_text("scale", [("x", "", "f32", ["T", D])], "scale", ["x"], {"value": value},
                   [("y", "f32", ["T", D])])
    case("scale", g, {"T": T}, {"x": num_in("f32", x)}, {"y": out_val(y)}, 1e-6,
         "value 0.3 is not exact in f32; the product differs by at most ~2 f32 ulps",
         emu={"y": f32(x) * np.float32(value)})


def cases_norms():
    T, D = 3, 5
    x = grid((T, D), 1.5)
    x[2] = grid((D,), 0.01, step=1.0 / 4096)  # a row of small values: eps matters
    w = grid((D,), 1.0)
    eps = 1e-05

    def rms(x, w, eps, dt):
        x, w = x.astype(dt), w.astype(dt)
        ms = np.mean(x * x, axis=-1, keepdims=True, dtype=dt)
        return x / np.sqrt(ms + dt(eps)) * w

    y = rms(x, w, eps, np.float64)
    g = graph_text("rms_norm", [("x", "", "f32", ["T", D]), ("w", "weight", "f32", [D])],
                   "rms_norm", ["x", "w"], {"eps": eps}, [("y", "f32", ["T", D])])
    case("rms_norm", g, {"T": T}, {"x": num_in("f32", x), "w": num_in("f32", w)},
         {"y": out_val(y)}, 1e-5, "mean of squares and rsqrt in f32; the last row is small "
         "so eps is not negligible", emu={"y": rms(x, w, eps, np.float32)})

    D = 7
    x = grid((T, D), 1.5) + np.array([[0.0], [3.0], [-2.0]])  # non-zero means
    w, b = grid((D,)), grid((D,), 0.5)

    def ln(x, w, b, eps, dt):
        x, w, b = x.astype(dt), w.astype(dt), b.astype(dt)
        mu = np.mean(x, axis=-1, keepdims=True, dtype=dt)
        var = np.mean((x - mu) ** 2, axis=-1, keepdims=True, dtype=dt)
        return (x - mu) / np.sqrt(var + dt(eps)) * w + b

    y = ln(x, w, b, eps, np.float64)
    g = graph_text("layer_norm", [("x", "", "f32", ["T", D]), ("w", "weight", "f32", [D]),
                                  ("b", "weight", "f32", [D])],
                   "layer_norm", ["x", "w", "b"], {"eps": eps}, [("y", "f32", ["T", D])])
    case("layer_norm", g, {"T": T}, {"x": num_in("f32", x), "w": num_in("f32", w),
                                      "b": num_in("f32", b)},
         {"y": out_val(y)}, 1e-5, "mean, biased variance and rsqrt in f32 over 7 values",
         emu={"y": ln(x, w, b, eps, np.float32)})


def rope_ref(x, P, heads, head_dim, base, mode, dims, dt, factors=None):
    """RoPE; with `factors` (one per pair) rope_scaled: theta divided by factors[i]."""
    x = x.astype(dt)
    T = x.shape[0]
    n = dims if dims else head_dim
    out = x.copy()
    for t in range(T):
        pos = P + t
        for h in range(heads):
            o = h * head_dim
            for i in range(n // 2):
                if dt is np.float64:
                    theta = pos * base ** (-2.0 * i / n)
                else:  # what an f32 implementation computes
                    theta = np.float32(pos) * np.float32(base) ** np.float32(-2.0 * i / n)
                if factors is not None:
                    theta = theta / dt(factors[i])
                c, s = dt(np.cos(theta)), dt(np.sin(theta))
                if mode == "interleaved":
                    ia, ib = o + 2 * i, o + 2 * i + 1
                else:
                    ia, ib = o + i, o + i + n // 2
                a, b = x[t, ia], x[t, ib]
                out[t, ia] = a * c - b * s
                out[t, ib] = a * s + b * c
    return out


def cases_rope():
    heads, head_dim, base = 2, 8, 10000.0
    T = 3
    for mode in ("interleaved", "half"):
        for dims, P in ((0, 5), (4, 2)):
            x = grid((T, heads * head_dim))
            y = rope_ref(x, P, heads, head_dim, base, mode, dims, np.float64)
            if dims:
                # the pass-through part is untouched
                for h in range(heads):
                    sl = slice(h * head_dim + dims, (h + 1) * head_dim)
                    assert np.array_equal(y[:, sl], x[:, sl])
            name = f"rope_{mode}" + (f"_partial{dims}" if dims else "")
            attrs = {"base": base, "dims": dims, "head_dim": head_dim, "heads": heads,
                     "mode": mode}
            g = graph_text(name, [("x", "", "f32", ["T", heads * head_dim])], "rope", ["x"],
                           attrs, [("y", "f32", ["T", heads * head_dim])])
            note = (f"positions P+t = {P}..{P + T - 1}; cos/sin of f32 angles; "
                    + ("dims = 0 means all head_dim dims rotate"
                       if not dims else f"only the first {dims} dims of each head rotate, "
                       f"theta uses base^(-2i/{dims}); the rest pass through unchanged"))
            case(name, g, {"T": T, "P": P}, {"x": num_in("f32", x)}, {"y": out_val(y)}, 1e-5,
                 note, emu={"y": rope_ref(x, P, heads, head_dim, base, mode, dims, np.float32)})


def softmax_ref(x, dt):
    x = x.astype(dt)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True, dtype=dt)


def cases_unary():
    T, D = 4, 7
    x = grid((T, D), 2.0)
    x[1] = [1000.0, 999.0, 998.5, 1000.0, 990.0, 900.0, 999.75]  # exp overflows unless max-subtracted
    x[2] = [-1000.0, -1001.0, -999.5, -1200.0, -1000.25, -1003.0, -999.5]  # underflows likewise
    y = softmax_ref(x, np.float64)
    g = graph_text("softmax", [("x", "", "f32", ["T", D])], "softmax", ["x"], {},
                   [("y", "f32", ["T", D])])
    case("softmax", g, {"T": T}, {"x": num_in("f32", x)}, {"y": out_val(y)}, 1e-5,
         "rows 1 and 2 hold values near +1000 / -1000: exp overflows or underflows "
         "without max-subtraction", emu={"y": softmax_ref(x, np.float32)})

    T = 3
    x = grid((T, D), 3.0)
    x[0, :4] = [-30.0, 30.0, -80.0, 0.0]

    def silu(x, dt):
        x = x.astype(dt)
        return x / (dt(1) + np.exp(-x))

    g = graph_text("silu", [("x", "", "f32", ["T", D])], "silu", ["x"], {},
                   [("y", "f32", ["T", D])])
    case("silu", g, {"T": T}, {"x": num_in("f32", x)}, {"y": out_val(silu(x, np.float64))},
         1e-5, "x*sigmoid(x) in f32; includes +-30, -80 and 0",
         emu={"y": silu(x, np.float32)})

    def gelu_tanh(x, dt):
        x = x.astype(dt)
        c = dt(math.sqrt(2.0 / math.pi))
        return dt(0.5) * x * (dt(1) + np.tanh(c * (x + dt(0.044715) * x * x * x)))

    erf = np.vectorize(math.erf)

    def gelu_erf(x, dt):
        x = x.astype(dt)
        return (dt(0.5) * x * (dt(1) + erf(x / dt(math.sqrt(2.0))).astype(dt))).astype(dt)

    for approx, fn in (("tanh", gelu_tanh), ("erf", gelu_erf)):
        name = f"gelu_{approx}"
        g = graph_text(name, [("x", "", "f32", ["T", D])], "gelu", ["x"], {"approx": approx},
                       [("y", "f32", ["T", D])])
        case(name, g, {"T": T}, {"x": num_in("f32", x)}, {"y": out_val(fn(x, np.float64))},
             1e-5, f"gelu approx={approx} in f32; the tanh and erf forms differ by ~1e-3, "
             "far above this tolerance", emu={"y": fn(x, np.float32)})
    d = np.abs(gelu_tanh(x, np.float64) - gelu_erf(x, np.float64)).max()
    assert d > 1e-4, d  # the two fixtures really tell the forms apart


def attention_ref(q, k, v, P, heads, kv_heads, head_dim, scale, window, dt):
    q, k, v = q.astype(dt), k.astype(dt), v.astype(dt)
    T = q.shape[0]
    out = np.zeros((T, heads * head_dim), dtype=dt)
    group = heads // kv_heads
    for t in range(T):
        p = P + t
        lo = max(0, p - window + 1) if window > 0 else 0
        for h in range(heads):
            g = h // group
            qh = q[t, h * head_dim:(h + 1) * head_dim]
            kh = k[lo:p + 1, g * head_dim:(g + 1) * head_dim]
            vh = v[lo:p + 1, g * head_dim:(g + 1) * head_dim]
            s = dt(scale) * (kh @ qh)
            s = s - s.max()
            e = np.exp(s)
            w = e / e.sum(dtype=dt)
            out[t, h * head_dim:(h + 1) * head_dim] = w @ vh
    return out


def cases_attention():
    heads, kv_heads, head_dim = 4, 2, 8
    scale = 1.0 / math.sqrt(head_dim)
    assert scale == 0.35355339059327373
    W = kv_heads * head_dim
    garbage = np.array([1.0e6, -3.0e5, 7.5e5, -1.0e6])

    def kv(C, valid):
        k, v = grid((C, W), 1.0), grid((C, W), 1.0)
        for a in (k, v):
            a[valid:] = rng.choice(garbage, size=(C - valid, W))
        return k, v

    specs = [
        ("attention_causal_gqa", 0, 3, 6, 0,
         "P=0, T=3: causal over rows 0..t; heads 0,1 read kv head 0 and heads 2,3 kv head 1; "
         "rows 3..5 of k/v hold huge garbage that must not be read"),
        ("attention_cached", 2, 2, 6, 0,
         "P=2, T=2: rows 0..1 of k/v are the earlier cache, rows 2..3 this step; "
         "query t sees rows 0..2+t; rows 4..5 are garbage"),
        ("attention_window2", 2, 3, 6, 2,
         "P=2, T=3, window=2: query at position p sees only rows p-1 and p; "
         "row 5 is garbage"),
    ]
    for name, P, T, C, window, why in specs:
        q = grid((T, heads * head_dim), 1.0)
        k, v = kv(C, P + T)
        y = attention_ref(q, k, v, P, heads, kv_heads, head_dim, scale, window, np.float64)
        attrs = {"head_dim": head_dim, "heads": heads, "kv_heads": kv_heads, "scale": scale,
                 "window": window}
        g = graph_text(name, [("q", "", "f32", ["T", heads * head_dim]),
                              ("k", "", "f32", ["C", W]), ("v", "", "f32", ["C", W])],
                       "attention", ["q", "k", "v"], attrs, [("o", "f32", ["T", heads * head_dim])])
        case(name, g, {"T": T, "P": P, "C": C},
             {"q": num_in("f32", q), "k": num_in("f32", k), "v": num_in("f32", v)},
             {"o": out_val(y)}, 1e-5, why + "; dot products of 8 and softmax in f32",
             emu={"o": attention_ref(q, k, v, P, heads, kv_heads, head_dim, scale, window,
                                     np.float32)})


def cases_memory():
    # kv_write
    C, W, P, T = 6, 6, 2, 3
    cache = grid((C, W))
    x = grid((T, W))
    new = cache.copy()
    new[P:P + T] = x
    g = graph_text("kv_write", [("cache", "state", "f32", ["C", W]), ("x", "", "f32", ["T", W])],
                   "kv_write", ["cache", "x"], {}, [("c2", "f32", ["C", W])])
    case("kv_write", g, {"T": T, "P": P, "C": C},
         {"cache": num_in("f32", cache), "x": num_in("f32", x)},
         {"c2": out_val(new, exact=True)}, 0.0,
         "a copy: rows 2..4 become x, rows 0,1 and 5 keep the cache's old values; the output "
         "is the whole cache (it aliases the state)")

    # reshape
    T = 3
    x = grid((T, 12))
    g = graph_text("reshape", [("x", "", "f32", ["T", 12])], "reshape", ["x"],
                   {"shape": [-1, 3, 4]}, [("y", "f32", ["T", 3, 4])])
    case("reshape", g, {"T": T}, {"x": num_in("f32", x)},
         {"y": out_val(x.reshape(T, 3, 4), exact=True)}, 0.0,
         "a view: same values in the same order; -1 stands for T")

    # slice
    x = grid((T, 5))
    g = graph_text("slice_last_row", [("x", "", "f32", ["T", 5])], "slice", ["x"],
                   {"axis": 0, "end": 0, "start": -1}, [("y", "f32", [1, 5])])
    case("slice_last_row", g, {"T": T}, {"x": num_in("f32", x)},
         {"y": out_val(x[-1:], exact=True)}, 0.0,
         "start=-1 counts from the end; end=0 with a negative start means to the end")
    x = grid((T, 7))
    g = graph_text("slice_axis1_middle", [("x", "", "f32", ["T", 7])], "slice", ["x"],
                   {"axis": 1, "end": 5, "start": 2}, [("y", "f32", ["T", 3])])
    case("slice_axis1_middle", g, {"T": T}, {"x": num_in("f32", x)},
         {"y": out_val(x[:, 2:5], exact=True)}, 0.0, "columns 2,3,4 (end exclusive)")
    g = graph_text("slice_axis1_negative", [("x", "", "f32", ["T", 7])], "slice", ["x"],
                   {"axis": 1, "end": -1, "start": -4}, [("y", "f32", ["T", 3])])
    case("slice_axis1_negative", g, {"T": T}, {"x": num_in("f32", x)},
         {"y": out_val(x[:, -4:-1], exact=True)}, 0.0,
         "start=-4, end=-1 on 7 columns: columns 3,4,5 (a negative end counts from the end "
         "like Python)")

    # concat
    a, b = grid((3, 5)), grid((2, 5))
    g = graph_text("concat_axis0", [("a", "", "f32", [3, 5]), ("b", "", "f32", [2, 5])],
                   "concat", ["a", "b"], {"axis": 0}, [("y", "f32", [5, 5])])
    case("concat_axis0", g, {}, {"a": num_in("f32", a), "b": num_in("f32", b)},
         {"y": out_val(np.concatenate([a, b], 0), exact=True)}, 0.0,
         "a's 3 rows then b's 2 rows (fixed dims: the text format has no dim arithmetic)")
    a, b = grid((T, 3)), grid((T, 4))
    g = graph_text("concat_axis1", [("a", "", "f32", ["T", 3]), ("b", "", "f32", ["T", 4])],
                   "concat", ["a", "b"], {"axis": 1}, [("y", "f32", ["T", 7])])
    case("concat_axis1", g, {"T": T}, {"a": num_in("f32", a), "b": num_in("f32", b)},
         {"y": out_val(np.concatenate([a, b], 1), exact=True)}, 0.0,
         "each row: a's 3 values then b's 4")


def cases_rope_scaled():
    """rope_scaled (Llama 3.1/3.2's frequency factors): made after the others, its own
    generator, so that their random values are unchanged."""
    r = np.random.default_rng(31)
    heads, head_dim, base, T = 2, 8, 500000.0, 3
    for mode, dims, P in (("interleaved", 0, 5), ("half", 4, 9)):
        n = dims if dims else head_dim
        x = np.round(r.normal(0.0, 1.0, size=(T, heads * head_dim)) * 64) / 64
        factors = np.array([1.0, 2.5, 8.0, 8.0][: n // 2], dtype=np.float32)
        y = rope_ref(x, P, heads, head_dim, base, mode, dims, np.float64, factors)
        name = f"rope_scaled_{mode}" + (f"_partial{dims}" if dims else "")
        attrs = {"base": base, "dims": dims, "head_dim": head_dim, "heads": heads, "mode": mode}
        g = graph_text(name, [("x", "", "f32", ["T", heads * head_dim]), ("f", "weight", "f32", [n // 2])],
                       "rope_scaled", ["x", "f"], attrs, [("y", "f32", ["T", heads * head_dim])])
        note = f"positions P+t = {P}..{P + T - 1}; theta_i = pos * base^(-2i/{n}) / factor_i"
        case(name, g, {"T": T, "P": P}, {"x": num_in("f32", x), "f": num_in("f32", factors)}, {"y": out_val(y)}, 1e-5,
             note, emu={"y": rope_ref(x, P, heads, head_dim, base, mode, dims, np.float32, factors)})


def cases_q5():
    """q5_0 / q5_1 (the fallback types of llama.cpp's K-quant files for rows that are not a
    multiple of 256): made last, so that the cases before them kept their random values."""
    embedding_cases({"q5_0": (5, 64), "q5_1": (5, 64)})
    matmul_cases({"q5_0": (7, 64), "q5_1": (7, 64)})


def cases_argmax():
    x = np.array([
        [0.5, 2.0, -1.0, 0.25, 2.0, 1.0, -3.0],        # tie between 1 and 4 -> 1
        [1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5],           # all equal -> 0
        [-4.0, -2.5, -7.0, -2.5, -3.0, -9.0, -2.5],    # negative ties -> 1
        [0.0, -1.0, 0.5, 0.75, -0.25, 0.125, 3.0],     # max at the end -> 6
    ])
    T = x.shape[0]
    idx = []
    for r in x:
        m = r.max()
        idx.append(min(i for i, v in enumerate(r) if v == m))
    assert idx == [1, 0, 1, 6]
    g = graph_text("argmax_ties", [("x", "", "f32", ["T", 7])], "argmax", ["x"], {},
                   [("i", "i32", ["T"])])
    case("argmax_ties", g, {"T": T}, {"x": num_in("f32", x)},
         {"i": out_val(np.array(idx), is_int=True)}, 0.0,
         "integers: exact; ties give the lowest index")


# ---------------------------------------------------------------------------- main

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(here, "..", "Tests", "GraphTests",
                                                  "Fixtures", "ops"))
    args = ap.parse_args()

    cases_embedding()
    cases_matmul()
    cases_positions()
    cases_elementwise()
    cases_norms()
    cases_rope()
    cases_unary()
    cases_attention()
    cases_memory()
    cases_argmax()
    cases_q5()
    cases_rope_scaled()

    out = os.path.normpath(args.out)
    os.makedirs(out, exist_ok=True)
    total = 0
    for c in CASES:
        text = json.dumps(c, separators=(",", ":"), allow_nan=False) + "\n"
        assert len(text) < MAX_BYTES, f"{c['name']}: {len(text)} bytes"
        json.loads(text)
        with open(os.path.join(out, c["name"] + ".json"), "w") as f:
            f.write(text)
        total += len(text)
    print(f"wrote {len(CASES)} fixtures ({total} bytes) to {out}")


if __name__ == "__main__":
    sys.exit(main())
