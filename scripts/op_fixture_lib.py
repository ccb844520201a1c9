"""Helpers and weight quantizers shared by scripts/make_op_fixtures.py: the graph-text and
fixture-JSON builders, the case registry (CASES), float32 emulation, and our own q4_0 / q4_1 /
q8_0 encoders (expected values come from the `gguf` package, never from these)."""

import base64
import math

import numpy as np
from gguf import GGMLQuantizationType as QT
from gguf import quants

SEED = 20240601
MAX_BYTES = 40 * 1024

rng = np.random.default_rng(SEED)


# ---------------------------------------------------------------------------- helpers

def grid(shape, scale=1.0, step=1.0 / 64):
    """Random f32 values on a grid of `step`, so they are exact in f32 and print short."""
    v = rng.normal(0.0, scale, size=shape)
    return (np.round(v / step) * step).astype(np.float64) + 0.0  # + 0.0: no -0.0


def f32_exact(a):
    a = np.asarray(a, dtype=np.float64)
    assert np.array_equal(a.astype(np.float32).astype(np.float64), a), "value not exact in f32"
    return a


def fmt_attr(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        s = repr(v)
        assert "." in s or "e" in s
        return s
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(str(int(x)) for x in v) + "]"
    raise TypeError(v)


def ttype(dtype, dims):
    return f"{dtype}[{','.join(str(d) for d in dims)}]"


def graph_text(name, params, op, args, attrs, outs):
    """params: [(name, kind or '', dtype, dims)]; outs: [(name, dtype, dims)]."""
    ps = []
    for pname, kind, dt, dims in params:
        ps.append(f"%{pname}: " + (kind + " " if kind else "") + ttype(dt, dims))
    line = ", ".join("%" + o[0] for o in outs) + f" = {op}(" + ", ".join("%" + a for a in args) + ")"
    if attrs:
        line += " {" + ", ".join(f"{k} = {fmt_attr(attrs[k])}" for k in sorted(attrs)) + "}"
    line += " : " + ", ".join(ttype(o[1], o[2]) for o in outs)
    ret = "return " + ", ".join("%" + o[0] for o in outs)
    return f"graph @{name}(" + ", ".join(ps) + ") {\n  " + line + "\n  " + ret + "\n}\n"


def num_in(dtype, arr):
    arr = np.asarray(arr)
    if dtype == "i32":
        data = [int(x) for x in arr.reshape(-1)]
    else:
        data = [float(x) for x in f32_exact(arr).reshape(-1)]
    return {"dtype": dtype, "shape": list(arr.shape), "data": data}


def raw_in(dtype, shape, raw):
    return {"dtype": dtype, "shape": list(shape),
            "bytes": base64.b64encode(bytes(raw)).decode("ascii")}


def round_sig(x, digits=10):
    if x == 0.0 or not math.isfinite(x):
        return float(x)
    return float(f"{x:.{digits}g}")


def out_val(arr, exact=False, is_int=False):
    arr = np.asarray(arr)
    if is_int:
        data = [int(x) for x in arr.reshape(-1)]
    else:
        assert np.all(np.isfinite(arr))
        data = [float(x) if exact else round_sig(float(x)) for x in arr.reshape(-1)]
    return {"shape": list(arr.shape), "data": data}


CASES = []


def case(name, graph, bindings, inputs, outputs, tol, note, emu=None):
    """emu: dict output name -> float32 re-computation, checked against tol/4."""
    assert name not in {c["name"] for c in CASES}, name
    if "T" in bindings:
        bindings = {"T": bindings["T"], "P": bindings.get("P", 0), **bindings}
    for oname, o in outputs.items():
        exp = np.array(o["data"], dtype=np.float64)
        if emu is not None and oname in emu:
            got = np.asarray(emu[oname], dtype=np.float64).reshape(-1)
            err = np.abs(got - exp) / np.maximum(1.0, np.abs(exp))
            worst = float(err.max()) if err.size else 0.0
            lim = tol / 4 if tol > 0 else 0.0
            assert worst <= lim, f"{name}.{oname}: f32 emulation err {worst:.3g} > {lim:.3g}"
    CASES.append({"name": name, "graph": graph, "bindings": bindings, "inputs": inputs,
                  "outputs": outputs, "tolerance": tol, "note": note})


def f32(a):
    return np.asarray(a, dtype=np.float64).astype(np.float32)


def seq_matmul32(x, w):
    """x[..., K] @ w[N, K]^T in float32, accumulating k = 0..K-1 in order."""
    x32, w32 = f32(x), f32(w)
    prod = x32[..., None, :] * w32  # [..., N, K] in f32
    return np.cumsum(prod, axis=-1, dtype=np.float32)[..., -1]


# ---------------------------------------------------------------------------- quantizers
# Our own q4_0 / q4_1 / q8_0 encoders and decoders, from docs/OPS.md's layouts. The
# decoders are only used to cross-check gguf; expected values always come from gguf.

def f16_bytes(v):
    return np.array([v], dtype="<f2").tobytes()


def quant_q4_0(row):
    out = bytearray()
    for blk in row.reshape(-1, 32):
        amax_i = int(np.argmax(np.abs(blk)))
        mx = blk[amax_i]
        d = np.float16(mx / -8.0)
        inv = 1.0 / float(d) if float(d) != 0 else 0.0
        q = np.clip(np.floor(blk * inv + 8.5), 0, 15).astype(np.uint8)
        out += f16_bytes(d)
        out += bytes((q[:16] | (q[16:] << 4)).astype(np.uint8))
    assert len(out) == 18 * (row.size // 32)
    return out


def dequant_q4_0(raw):
    b = np.frombuffer(bytes(raw), dtype=np.uint8).reshape(-1, 18)
    d = b[:, :2].copy().view("<f2").astype(np.float64)
    qs = b[:, 2:]
    q = np.concatenate([qs & 15, qs >> 4], axis=1).astype(np.float64)
    return ((q - 8.0) * d).reshape(-1)


def quant_q4_1(row):
    out = bytearray()
    for blk in row.reshape(-1, 32):
        lo, hi = float(blk.min()), float(blk.max())
        d = np.float16((hi - lo) / 15.0)
        m = np.float16(lo)
        inv = 1.0 / float(d) if float(d) != 0 else 0.0
        q = np.clip(np.floor((blk - float(m)) * inv + 0.5), 0, 15).astype(np.uint8)
        out += f16_bytes(d) + f16_bytes(m)
        out += bytes((q[:16] | (q[16:] << 4)).astype(np.uint8))
    assert len(out) == 20 * (row.size // 32)
    return out


def dequant_q4_1(raw):
    b = np.frombuffer(bytes(raw), dtype=np.uint8).reshape(-1, 20)
    d = b[:, :2].copy().view("<f2").astype(np.float64)
    m = b[:, 2:4].copy().view("<f2").astype(np.float64)
    qs = b[:, 4:]
    q = np.concatenate([qs & 15, qs >> 4], axis=1).astype(np.float64)
    return (q * d + m).reshape(-1)


def quant_q8_0(row):
    out = bytearray()
    for blk in row.reshape(-1, 32):
        amax = float(np.abs(blk).max())
        d = np.float16(amax / 127.0)
        inv = 1.0 / float(d) if float(d) != 0 else 0.0
        q = np.clip(np.round(blk * inv), -127, 127).astype(np.int8)
        out += f16_bytes(d) + q.tobytes()
    assert len(out) == 34 * (row.size // 32)
    return out


def dequant_q8_0(raw):
    b = np.frombuffer(bytes(raw), dtype=np.uint8).reshape(-1, 34)
    d = b[:, :2].copy().view("<f2").astype(np.float64)
    q = b[:, 2:].copy().view(np.int8).astype(np.float64)
    return (q * d).reshape(-1)


def rand_f16_scale(lo, hi):
    return np.float16(rng.uniform(lo, hi))


def random_q4_k_block():
    d = rand_f16_scale(0.01, 0.05)
    dmin = rand_f16_scale(0.01, 0.05)
    scales = rng.integers(0, 256, size=12, dtype=np.uint8)
    qs = rng.integers(0, 256, size=128, dtype=np.uint8)
    blk = f16_bytes(d) + f16_bytes(dmin) + scales.tobytes() + qs.tobytes()
    assert len(blk) == 144
    return blk


def random_q6_k_block():
    ql = rng.integers(0, 256, size=128, dtype=np.uint8)
    qh = rng.integers(0, 256, size=64, dtype=np.uint8)
    scales = rng.integers(-128, 128, size=16).astype(np.int8)
    d = rand_f16_scale(0.01, 0.05)
    blk = ql.tobytes() + qh.tobytes() + scales.tobytes() + f16_bytes(d)
    assert len(blk) == 210
    return blk


def random_q5_block(dtype, r):
    """A random q5_0 (f16 d, 32 high bits, 16 bytes of nibbles) or q5_1 (f16 d and m first)
    block, from its own generator `r` (so adding these cases left the others' bytes as they
    were)."""
    head = f16_bytes(np.float16(r.uniform(0.01, 0.05)))
    if dtype == "q5_1":
        head += f16_bytes(np.float16(r.uniform(-0.5, 0.5)))
    blk = head + r.integers(0, 256, size=20, dtype=np.uint8).tobytes()
    assert len(blk) == (24 if dtype == "q5_1" else 22)
    return blk


GG = {"f16": QT.F16, "bf16": QT.BF16, "q4_0": QT.Q4_0, "q4_1": QT.Q4_1, "q8_0": QT.Q8_0,
      "q4_k": QT.Q4_K, "q6_k": QT.Q6_K, "q5_0": QT.Q5_0, "q5_1": QT.Q5_1}
BLOCK = {"f16": (1, 2), "bf16": (1, 2), "q4_0": (32, 18), "q4_1": (32, 20), "q8_0": (32, 34),
         "q4_k": (256, 144), "q6_k": (256, 210), "q5_0": (32, 22), "q5_1": (32, 24)}


def gguf_dequant(dtype, raw, shape):
    """Expected values: the gguf package's dequantizer, widened to float64."""
    n, k = shape
    bs, bb = BLOCK[dtype]
    assert k % bs == 0 and len(raw) == n * (k // bs) * bb
    a = np.frombuffer(bytes(raw), dtype=np.uint8).reshape(n, (k // bs) * bb)
    out = quants.dequantize(a, GG[dtype]).astype(np.float64)
    assert out.shape == (n, k) and np.all(np.isfinite(out)), (dtype, out.shape)
    return out


def make_weight(dtype, shape, scale=0.5):
    """Returns (raw bytes or None, f32 values for numeric dtypes, dequantized f64 [N,K])."""
    n, k = shape
    if dtype == "f32":
        v = grid(shape, scale)
        return None, v, v
    if dtype == "f16":
        v = rng.normal(0.0, scale, size=shape).astype(np.float16)
        raw = v.astype("<f2").tobytes()
        deq = gguf_dequant("f16", raw, shape)
        assert np.array_equal(deq, v.astype(np.float64))
        return raw, None, deq
    if dtype == "bf16":
        v32 = rng.normal(0.0, scale, size=shape).astype(np.float32)
        top = (v32.view(np.uint32) >> 16).astype("<u2")  # bf16 = top 16 bits of f32
        raw = top.tobytes()
        mine = (top.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
        deq = gguf_dequant("bf16", raw, shape)
        assert np.array_equal(deq, mine)
        return raw, None, deq
    if dtype in ("q4_0", "q4_1", "q8_0"):
        src = rng.normal(0.0, scale, size=shape)
        enc = {"q4_0": quant_q4_0, "q4_1": quant_q4_1, "q8_0": quant_q8_0}[dtype]
        dec = {"q4_0": dequant_q4_0, "q4_1": dequant_q4_1, "q8_0": dequant_q8_0}[dtype]
        raw = b"".join(bytes(enc(src[i])) for i in range(n))
        deq = gguf_dequant(dtype, raw, shape)
        mine = dec(raw).reshape(shape)
        assert np.array_equal(deq, mine), f"own {dtype} dequant disagrees with gguf"
        # The encoder is sane: the round trip is close to the source.
        step = {"q4_0": 0.25, "q4_1": 0.15, "q8_0": 0.01}[dtype]
        assert np.abs(deq - src).max() <= step * np.abs(src).max() + 1e-3, dtype
        return raw, None, deq
    if dtype in ("q4_k", "q6_k"):
        gen = random_q4_k_block if dtype == "q4_k" else random_q6_k_block
        raw = b"".join(gen() for _ in range(n * (k // 256)))
        return raw, None, gguf_dequant(dtype, raw, shape)
    if dtype in ("q5_0", "q5_1"):
        r = np.random.default_rng(5 if dtype == "q5_0" else 51)
        raw = b"".join(random_q5_block(dtype, r) for _ in range(n * (k // 32)))
        return raw, None, gguf_dequant(dtype, raw, shape)
    raise ValueError(dtype)


def weight_input(dtype, raw, vals, shape):
    return num_in("f32", vals) if dtype == "f32" else raw_in(dtype, shape, raw)
