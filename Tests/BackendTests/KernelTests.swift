import Foundation
import XCTest
@testable import SluiceBackend
import SluiceGraph

/// Every kernel against the reference interpreter (itself checked against numpy), on
/// random inputs with odd sizes and every weight dtype. Tolerances are the ops' stated
/// ones (OpDefinition.tolerance, summed along chains): float32 with another summation order.
final class KernelTests: BackendTestCase {
    func checkGraph(_ text: String, _ bindings: Bindings, seed: UInt64 = 1, file: StaticString = #filePath, line: UInt = #line) throws {
        let g = try GraphParser.parse(text)
        try Verifier.verify(g)
        let r = try RandomFeeds(graph: g, bindings: bindings, seed: seed)
        for res in try CrossCheck.run(device: device, graph: g, feeds: r.feeds, state: r.state, bindings: r.bindings) {
            XCTAssertTrue(res.passed, "\(g.name) \(bindings): %\(res.output) error \(res.error) > \(res.tolerance)", file: file, line: line)
        }
    }

    func testMatmulEveryWeightTypeOddSizes() throws {
        for dt in ["f32", "f16", "bf16", "q4_0", "q4_1", "q5_0", "q5_1", "q8_0"] {
            // 36: whole four-float texels but not whole 32-value blocks (the texel kernels'
            // per-value path on CPU drivers); 5 and 37: not even texels (storage buffers).
            let ks = dt.hasPrefix("q") ? [32, 96, 160] : [5, 36, 37, 96]
            for k in ks {
                for n in [1, 7, 65] {
                    for t in [1, 3, 6] {
                        try checkGraph("graph @mm(%x: f32[T,\(k)], %w: weight \(dt)[\(n),\(k)]) {\n  %y = matmul(%x, %w) : f32[T,\(n)]\n  return %y\n}", ["T": t], seed: UInt64(k * n + t))
                    }
                }
            }
        }
    }

    /// GGUF's K-quants (256-value blocks; Q4_K_M files mix q4_k and q6_k): the plain matrix
    /// kernels on every reduction variant (one row and several), with a norm prologue, and
    /// an embedding table.
    func testKQuantWeights() throws {
        for dt in ["q4_k", "q6_k"] {
            for k in [256, 512] {
                for (n, t) in [(1, 1), (7, 3), (65, 6), (33, 1)] {
                    try checkGraph("graph @mm(%x: f32[T,\(k)], %w: weight \(dt)[\(n),\(k)]) {\n  %y = matmul(%x, %w) : f32[T,\(n)]\n  return %y\n}", ["T": t], seed: UInt64(k * n + t))
                }
            }
            try checkGraph("""
            graph @p(%a: f32[T,256], %b: f32[T,256], %nw: weight f32[256], %w: weight \(dt)[9,256]) {
              %s, %y = add_rms_matmul(%a, %b, %nw, %w) {eps = 1e-05} : f32[T,256], f32[T,9]
              return %s, %y
            }
            """, ["T": 2])
            for t in [1, 4] {
                try checkGraph("graph @e(%ids: i32[T], %tab: weight \(dt)[11,256]) {\n  %y = embedding(%tab, %ids) : f32[T,256]\n  return %y\n}", ["T": t])
            }
        }
    }

    /// matmul_wide.comp (an LM head's kernel on GPUs), forced with SLUICE_MATMUL_VARIANT=wide
    /// for one-row products: every weight type, column counts that leave a subgroup's last
    /// group of four partly empty, and the norm prologues (the residual sum written out; the
    /// K-quants' inverse RMS applied to the products).
    func testWideMatmul() throws {
        let info = try device.info
        try XCTSkipUnless(info.subgroupArithmetic, "\(info.name): no subgroup arithmetic")
        setenv("SLUICE_MATMUL_VARIANT", "wide", 1)
        defer { unsetenv("SLUICE_MATMUL_VARIANT") }
        for dt in ["f32", "f16", "bf16", "q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q4_k", "q6_k"] {
            for (k, n) in dt.hasSuffix("_k") ? [(256, 7), (512, 130)] : [(32, 7), (96, 301), (576, 130)] {
                try checkGraph("graph @mm_\(dt)(%x: f32[T,\(k)], %w: weight \(dt)[\(n),\(k)]) {\n  %y = matmul(%x, %w) : f32[T,\(n)]\n  return %y\n}", ["T": 1], seed: UInt64(k + n))
            }
        }
        for (dt, k) in [("q8_0", 64), ("f16", 64), ("q4_k", 512), ("q6_k", 256)] {
            try checkGraph("""
            graph @p_\(dt)(%a: f32[T,\(k)], %b: f32[T,\(k)], %nw: weight f32[\(k)], %w: weight \(dt)[77,\(k)]) {
              %s, %y = add_rms_matmul(%a, %b, %nw, %w) {eps = 1e-05} : f32[T,\(k)], f32[T,77]
              %y2 = rms_matmul(%s, %nw, %w) {eps = 1e-05} : f32[T,77]
              return %s, %y, %y2
            }
            """, ["T": 1])
        }
    }

    /// rope_scaled (Llama 3.1/3.2's RoPE frequency factors): both pairings, a partial rotation.
    func testRopeScaled() throws {
        for (mode, dims) in [("interleaved", 0), ("half", 8)] {
            let pairs = (dims == 0 ? 16 : dims) / 2
            for (t, p) in [(1, 7), (5, 0)] {
                try checkGraph("""
                graph @rs(%x: f32[T,48], %f: weight f32[\(pairs)]) {
                  %y = rope_scaled(%x, %f) {base = 500000.0, dims = \(dims), head_dim = 16, heads = 3, mode = "\(mode)"} : f32[T,48]
                  return %y
                }
                """, ["T": t, "P": p])
            }
        }
    }

    func testEmbeddingEveryTableType() throws {
        for dt in ["f32", "f16", "bf16", "q4_0", "q4_1", "q5_0", "q5_1", "q8_0"] {
            for t in [1, 5] {
                try checkGraph("graph @e(%ids: i32[T], %tab: weight \(dt)[11,64]) {\n  %y = embedding(%tab, %ids) : f32[T,64]\n  return %y\n}", ["T": t])
            }
        }
    }

    func testElementwiseNormsAndReductions() throws {
        for d in [1, 7, 64, 300, 700] {
            for t in [1, 5] {
                let b: Bindings = ["T": t]
                try checkGraph("graph @a(%x: f32[T,\(d)], %y: f32[T,\(d)], %b: f32[\(d)]) {\n  %s = add(%x, %y) : f32[T,\(d)]\n  %m = mul(%s, %b) : f32[T,\(d)]\n  %c = scale(%m) {value = -0.75} : f32[T,\(d)]\n  return %c\n}", b)
                try checkGraph("graph @u(%x: f32[T,\(d)]) {\n  %s = silu(%x) : f32[T,\(d)]\n  %g = gelu(%x) {approx = \"tanh\"} : f32[T,\(d)]\n  %e = gelu(%x) {approx = \"erf\"} : f32[T,\(d)]\n  %sm = softmax(%x) : f32[T,\(d)]\n  %am = argmax(%x) : i32[T]\n  return %s, %g, %e, %sm, %am\n}", b)
                for wdt in ["f32", "f16", "bf16"] {
                    try checkGraph("graph @n(%x: f32[T,\(d)], %w: weight \(wdt)[\(d)], %b: weight \(wdt)[\(d)]) {\n  %r = rms_norm(%x, %w) {eps = 1e-05} : f32[T,\(d)]\n  %l = layer_norm(%x, %w, %b) {eps = 1e-05} : f32[T,\(d)]\n  return %r, %l\n}", b)
                }
            }
        }
    }

    func testRopeAttentionAndCache() throws {
        // f16: the caches in half precision (the reference rounds in kv_write too).
        for (heads, kvh, hd) in [(4, 2, 8), (3, 3, 64), (2, 1, 96)] {
            for mode in ["interleaved", "half"] {
                for (t, p) in [(1, 0), (1, 5), (6, 3), (9, 0)] {
                    let q = heads * hd, kv = kvh * hd
                    for cdt in ["f32", "f16"] {
                        try checkGraph("""
                        graph @att(%q: f32[T,\(q)], %k: f32[T,\(kv)], %v: f32[T,\(kv)], %kc: state \(cdt)[C,\(kv)], %vc: state \(cdt)[C,\(kv)]) {
                          %qr = rope(%q) {base = 10000.0, dims = \(hd / 2), head_dim = \(hd), heads = \(heads), mode = "\(mode)"} : f32[T,\(q)]
                          %kr = rope(%k) {base = 10000.0, head_dim = \(hd), heads = \(kvh), mode = "\(mode)"} : f32[T,\(kv)]
                          %kc2 = kv_write(%kc, %kr) : \(cdt)[C,\(kv)]
                          %vc2 = kv_write(%vc, %v) : \(cdt)[C,\(kv)]
                          %o = attention(%qr, %kc2, %vc2) {head_dim = \(hd), heads = \(heads), kv_heads = \(kvh), scale = 0.3, window = \(p > 2 ? 4 : 0)} : f32[T,\(q)]
                          return %o, %kc2
                        }
                        """, ["T": t, "P": p, "C": 20])
                    }
                }
            }
        }
    }

    /// Many query rows (several 32-row tiles of attention_tiled.comp when SLUICE_TILED=1):
    /// a prompt appended to a cache, head sizes that fill a lane's share of the query, leave
    /// some lanes empty (12) or need the 128 variant, with and without a window; on CPU
    /// drivers (attention_lanes.comp) ten heads take two workgroups, and 256 its widest variant.
    func testAttentionManyRows() throws {
        for (heads, kvh, hd, t, p, window, cdt) in [(3, 1, 64, 70, 40, 0, "f32"), (3, 1, 64, 70, 40, 50, "f16"), (2, 2, 12, 33, 0, 0, "f32"),
                                                    (4, 2, 128, 40, 7, 0, "f16"), (2, 1, 96, 9, 3, 5, "f32"), (3, 1, 64, 70, 40, 0, "f16"),
                                                    (10, 5, 256, 3, 5, 0, "f32")] {
            let q = heads * hd, kv = kvh * hd
            try checkGraph("""
            graph @many(%q: f32[T,\(q)], %k: f32[T,\(kv)], %v: f32[T,\(kv)], %kc: state \(cdt)[C,\(kv)], %vc: state \(cdt)[C,\(kv)]) {
              %kc2 = kv_write(%kc, %k) : \(cdt)[C,\(kv)]
              %vc2 = kv_write(%vc, %v) : \(cdt)[C,\(kv)]
              %o = attention(%q, %kc2, %vc2) {head_dim = \(hd), heads = \(heads), kv_heads = \(kvh), scale = 0.2, window = \(window)} : f32[T,\(q)]
              return %o
            }
            """, ["T": t, "P": p, "C": t + p + 3])
        }
    }

    /// A cache longer than the attention kernel's chunk of 1024 scores (the online softmax
    /// carries over chunks), with and without a sliding window.
    func testAttentionOverLongCache() throws {
        for window in [0, 1500] {
            try checkGraph("""
            graph @long(%q: f32[T,16], %k: f32[T,8], %v: f32[T,8], %kc: state f32[C,8], %vc: state f32[C,8]) {
              %kc2 = kv_write(%kc, %k) : f32[C,8]
              %vc2 = kv_write(%vc, %v) : f32[C,8]
              %o = attention(%q, %kc2, %vc2) {head_dim = 4, heads = 4, kv_heads = 2, scale = 0.5, window = \(window)} : f32[T,16]
              return %o
            }
            """, ["T": 3, "P": 2100, "C": 2110])
        }
    }

    func testShapeOps() throws {
        try checkGraph("""
        graph @s(%x: f32[T,12], %y: f32[2,12], %ids: i32[T]) {
          %r = reshape(%x) {shape = [-1, 3, 4]} : f32[T,3,4]
          %n = softmax(%r) : f32[T,3,4]
          %last = slice(%x) {axis = 0, end = 0, start = -1} : f32[1,12]
          %mid = slice(%x) {axis = 1, end = 7, start = 2} : f32[T,5]
          %c0 = concat(%last, %y) {axis = 0} : f32[3,12]
          %c1 = concat(%mid, %mid) {axis = 1} : f32[T,10]
          %pos = positions(%ids) : i32[T]
          return %n, %last, %mid, %c0, %c1, %pos
        }
        """, ["T": 5, "P": 3])
    }

    func testHandWrittenGraphs() throws {
        for f in ["llama_block.graph", "gpt2_block.graph"] {
            let text = try String(contentsOf: Self.root.appendingPathComponent("graphs/\(f)"), encoding: .utf8)
            try checkGraph(text, ["T": 3, "P": 2, "C": 8])
            try checkGraph(text, ["T": 1, "P": 6, "C": 8])
        }
    }
}
