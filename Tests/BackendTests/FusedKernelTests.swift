import Foundation
import XCTest
@testable import SluiceBackend
import SluiceGraph
import SluicePasses

/// The fused ops' kernels against their reference implementations (which compose the
/// standard ops' references), every weight dtype, both RoPE pairings, partial rotation, a
/// filled cache, and row counts that are not multiples of the tile.
final class FusedKernelTests: BackendTestCase {
    override func setUp() { super.setUp(); FusedOps.register() }

    func check(_ text: String, _ bindings: Bindings, file: StaticString = #filePath, line: UInt = #line) throws {
        let g = try GraphParser.parse(text)
        try Verifier.verify(g)
        let r = try RandomFeeds(graph: g, bindings: bindings, seed: 5)
        for res in try CrossCheck.run(device: device, graph: g, feeds: r.feeds, state: r.state, bindings: r.bindings) {
            XCTAssertTrue(res.passed, "\(g.name) \(bindings): %\(res.output) error \(res.error) > \(res.tolerance)", file: file, line: line)
        }
    }

    /// rms_rope (Gemma 3's query/key head norms with RoPE): both pairings, a partial rotation,
    /// heads of 8 and 256 values, norm weights in each float type, one row and several after
    /// cached ones.
    func testHeadNormRope() throws {
        for (h, hd, dims, mode, wdt) in [(3, 8, 0, "half", "f32"), (2, 8, 4, "interleaved", "f16"), (4, 256, 0, "half", "bf16"), (1, 256, 128, "interleaved", "f32")] {
            for (t, p) in [(1, 5), (4, 0)] {
                try check("""
                graph @rr(%x: f32[T,\(h * hd)], %w: weight \(wdt)[\(hd)]) {
                  %y = rms_rope(%x, %w) {base = 10000.0, dims = \(dims), eps = 1e-06, head_dim = \(hd), heads = \(h), mode = "\(mode)"} : f32[T,\(h * hd)]
                  return %y
                }
                """, ["T": t, "P": p])
            }
        }
    }

    /// add_post_rms_norm (Gemma's post-FFN norm, the residual add and the next norm): rows
    /// that take the one-read path and rows past it, one row and several.
    func testPostNorm() throws {
        for d in [24, 640, 2200] {
            for t in [1, 3] {
                try check("""
                graph @pn(%a: f32[T,\(d)], %b: f32[T,\(d)], %pw: weight f32[\(d)], %w: weight f32[\(d)]) {
                  %s, %y = add_post_rms_norm(%a, %b, %pw, %w) {eps = 1e-05, post_eps = 1e-06} : f32[T,\(d)], f32[T,\(d)]
                  return %s, %y
                }
                """, ["T": t])
            }
        }
    }

    func testQKVRope() throws {
        for dt in ["f32", "f16", "q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "bf16", "q4_k", "q6_k"] {
            for (h, kvh, hd, dims, mode) in [(4, 2, 32, 0, "interleaved"), (3, 1, 64, 32, "half"), (2, 2, 32, 16, "interleaved")] {
                let k = dt.hasSuffix("_k") ? 256 : 64, rows = (h + 2 * kvh) * hd
                // float16 caches for two of the weight types (the cache type is independent).
                let cdt = dt == "q4_1" || dt == "f16" ? "f16" : "f32"
                for (t, p) in [(1, 3), (6, 0)] {
                    try check("""
                    graph @qkv(%x: f32[T,\(k)], %w: weight \(dt)[\(rows),\(k)], %kc: state \(cdt)[C,\(kvh * hd)], %vc: state \(cdt)[C,\(kvh * hd)]) {
                      %q, %kc2, %vc2 = qkv_rope(%x, %w, %kc, %vc) {base = 10000.0, dims = \(dims), head_dim = \(hd), heads = \(h), kv_heads = \(kvh), mode = "\(mode)"} : f32[T,\(h * hd)], \(cdt)[C,\(kvh * hd)], \(cdt)[C,\(kvh * hd)]
                      return %q, %kc2, %vc2
                    }
                    """, ["T": t, "P": p, "C": 12])
                }
            }
        }
    }

    /// Split attention: slices longer and shorter than a chunk, one slice in use (a short
    /// cache), several but fewer than 16 (3, 11), all 16, grouped heads, a sliding window, two rows; the counters (zeroed state)
    /// must be back at zero after the run, and a second run on the same executor must agree.
    /// Head dims from 16 to 256, and 80 (no power of two).
    func testSplitAttention() throws {
        // The f16 rows: float16 caches.
        for (h, kvh, hd, cdt) in [(4, 2, 16, "f32"), (3, 3, 64, "f32"), (3, 1, 64, "f16"), (2, 1, 128, "f32"), (2, 1, 256, "f16"), (2, 2, 80, "f32")] {
            for (t, p, window) in [(1, 0, 0), (1, 5, 0), (2, 40, 8), (1, 150, 0), (2, 700, 0), (1, 2100, 0)] {
                let q = h * hd, kv = kvh * hd, pw = h * 16 * (hd + 2)
                let g = try GraphParser.parse("""
                graph @split(%q: f32[\(t),\(q)], %kc: state \(cdt)[C,\(kv)], %vc: state \(cdt)[C,\(kv)], %cnt: state i32[\(4 * h)]) {
                  %y, %part, %cnt2 = attention_split(%q, %kc, %vc, %cnt) {head_dim = \(hd), heads = \(h), kv_heads = \(kvh), scale = 0.3, splits = 16, window = \(window)} : f32[\(t),\(q)], f32[\(t),\(pw)], i32[\(4 * h)]
                  return %y, %part, %cnt2
                }
                """)
                try Verifier.verify(g)
                let r = try RandomFeeds(graph: g, bindings: ["T": t, "P": p, "C": p + t + 3], seed: 5)
                var state = r.state
                state["cnt"] = HostTensor(i32: Array(repeating: 0, count: 4 * h), shape: [4 * h])
                for res in try CrossCheck.run(device: device, graph: g, feeds: r.feeds, state: state, bindings: r.bindings) {
                    XCTAssertTrue(res.passed, "\(h)/\(kvh)/\(hd) T=\(t) P=\(p): %\(res.output) error \(res.error) > \(res.tolerance)")
                }
                // The merging workgroup resets its counter, so a second run (another query)
                // merges again and matches the reference.
                let exec = try VulkanExecutor(device: device, graph: g, bindings: r.bindings, weights: [:])
                for (name, value) in state { try exec.setState(name, value) }
                for seed: UInt64 in [6, 7] {
                    let feeds = try RandomFeeds(graph: g, bindings: r.bindings, seed: seed).feeds
                    var refState = state
                    let want = try ReferenceInterpreter(graph: g).run(feeds: feeds, state: &refState, bindings: r.bindings)["y"]!.floats()
                    let got = try exec.run(inputs: feeds.filter { $0.key == "q" }, bindings: ["P": p])["y"]!.floats()
                    let err = zip(got, want).map { abs($0 - $1) }.max()!
                    XCTAssertLessThan(err, 1e-4, "run with seed \(seed): error \(err)")
                }
            }
        }
    }

    /// The split argmax: rows whose best value lies in the first, a middle and the last
    /// slice, ties between slices (the lowest index wins, as in the reference), a row length
    /// that the slices do not divide, up to 64 slices and 3 rows; the indices and the slices'
    /// partials equal the reference interpreter's, and the counters (zeroed state) end at
    /// zero, so a second run of the same executor on other values agrees too.
    func testSplitArgmax() throws {
        for (rows, d) in [(1, 49_152), (3, 10_007), (2, 70_000), (1, 8192)] {
            let s = SplitArgmax.slices(d)
            let g = try GraphParser.parse("""
            graph @am(%x: f32[\(rows),\(d)], %cnt: state i32[4]) {
              %y, %part, %cnt2 = argmax_split(%x, %cnt) {slices = \(s)} : i32[\(rows)], f32[\(rows),\(2 * s)], i32[4]
              return %y, %part, %cnt2
            }
            """)
            try Verifier.verify(g)
            let exec = try VulkanExecutor(device: device, graph: g, bindings: [:], weights: [:])
            try exec.setState("cnt", HostTensor(i32: [0, 0, 0, 0], shape: [4]))
            let per = (d + s - 1) / s
            for run in 0..<2 {
                var rng = SplitMix64(seed: UInt64(d + run))
                var x = (0..<(rows * d)).map { _ in rng.nextSignedUnit() }
                for r in 0..<rows {
                    // The best value in slice 0, a middle slice or the last; in row 1 also tied
                    // with a later slice's value, in row 2 with a value of the same slice.
                    let at = [3, per * (s / 2) + 17, d - 2][(r + run) % 3]
                    x[r * d + at] = 7.5
                    if r == 1 { x[r * d + min(at + per + 5, d - 1)] = 7.5 }
                    if r == 2 { x[r * d + at + 1] = 7.5 }
                }
                let feed = HostTensor(f32: x, shape: [rows, d])
                var state: [String: HostTensor] = ["cnt": HostTensor(i32: [0, 0, 0, 0], shape: [4])]
                let want = try ReferenceInterpreter(graph: g).run(feeds: ["x": feed], state: &state, bindings: [:])
                let got = try exec.run(inputs: ["x": feed], fetch: ["y", "part", "cnt2"])
                XCTAssertEqual(got["y"]!.ints(), want["y"]!.ints(), "\(rows)×\(d) run \(run)")
                XCTAssertEqual(got["part"]!.floats(), want["part"]!.floats(), "\(rows)×\(d) run \(run): partials")
                XCTAssertEqual(got["cnt2"]!.ints(), [0, 0, 0, 0], "\(rows)×\(d) run \(run): counters")
            }
        }
    }

    func testSwiGLUAndAddNorm() throws {
        for dt in ["f32", "f16", "bf16", "q4_0", "q4_1", "q5_0", "q5_1", "q8_0"] {
            for t in [1, 5] {
                try check("graph @s(%x: f32[T,96], %w: weight \(dt)[14,96]) {\n  %y = matmul_swiglu(%x, %w) : f32[T,7]\n  return %y\n}", ["T": t])
            }
        }
        // The K-quants' rows are whole 256-value blocks.
        for dt in ["q4_k", "q6_k"] {
            for t in [1, 5] {
                try check("graph @s(%x: f32[T,256], %w: weight \(dt)[14,256]) {\n  %y = matmul_swiglu(%x, %w) : f32[T,7]\n  return %y\n}", ["T": t])
            }
        }
        for wdt in ["f32", "f16", "bf16"] {
            for d in [7, 64, 576] {
                try check("""
                graph @an(%a: f32[T,\(d)], %b: f32[T,\(d)], %w: weight \(wdt)[\(d)], %bias: weight \(wdt)[\(d)]) {
                  %s, %n = add_rms_norm(%a, %b, %w) {eps = 1e-05} : f32[T,\(d)], f32[T,\(d)]
                  %s2, %l = add_layer_norm(%s, %n, %w, %bias) {eps = 1e-05} : f32[T,\(d)], f32[T,\(d)]
                  return %s, %n, %s2, %l
                }
                """, ["T": 3])
            }
        }
    }

    /// The RMS-norm prologue on every matrix kernel, with and without the residual add.
    func testNormPrologues() throws {
        for dt in ["q4_1", "f16"] {
            for t in [1, 5] {
                try check("""
                graph @p(%a: f32[T,64], %b: f32[T,64], %nw: weight f32[64], %w: weight \(dt)[18,64], %wq: weight \(dt)[128,64], %kc: state f32[C,32], %vc: state f32[C,32], %kd: state f32[C,32], %vd: state f32[C,32]) {
                  %s, %y = add_rms_matmul(%a, %b, %nw, %w) {eps = 1e-05} : f32[T,64], f32[T,18]
                  %y2 = rms_matmul(%a, %nw, %w) {eps = 1e-05} : f32[T,18]
                  %s2, %g = add_rms_matmul_swiglu(%s, %a, %nw, %w) {eps = 1e-05} : f32[T,64], f32[T,9]
                  %e = rms_matmul_geglu(%s2, %nw, %w) {approx = "erf", eps = 1e-05} : f32[T,9]
                  %s3, %q, %kc2, %vc2 = add_rms_qkv_rope(%s2, %b, %nw, %wq, %kc, %vc) {base = 10000.0, eps = 1e-05, head_dim = 32, heads = 2, kv_heads = 1, mode = "interleaved"} : f32[T,64], f32[T,64], f32[C,32], f32[C,32]
                  %q2, %kc3, %vc3 = rms_qkv_rope(%s3, %nw, %wq, %kd, %vd) {base = 10000.0, eps = 1e-05, head_dim = 32, heads = 2, kv_heads = 1, mode = "half"} : f32[T,64], f32[C,32], f32[C,32]
                  return %s, %y, %y2, %s2, %g, %e, %s3, %q, %q2, %kc3
                }
                """, ["T": t, "P": 2, "C": 10])
            }
        }
    }

    /// The GPUs' matrix kernels (SLUICE_MATMUL_VARIANT=subgroup; lavapipe has the subgroup
    /// arithmetic and 32 KiB of shared memory they need) with a staged input row: every matrix
    /// op with a norm prologue and without, one row, each weight type — the K-quants' lanes
    /// read the row in their own order (kq_layout.glsl's XSLOT) — rows of an odd number of
    /// 256-value blocks (q6_k's blocks then start at either 4-byte parity), K of several
    /// rounds, and a row too wide to stage (8,192).
    func testSubgroupKernelsStagedRow() throws {
        let info = try device.info
        try XCTSkipUnless(info.subgroupMatmul, "\(info.name): no subgroup matrix kernels")
        setenv("SLUICE_MATMUL_VARIANT", "subgroup", 1)
        defer { unsetenv("SLUICE_MATMUL_VARIANT") }
        for (dt, k) in [("q4_k", 768), ("q6_k", 768), ("q4_1", 512), ("q4_k", 5632), ("q6_k", 5632)] {
            try check("""
            graph @p(%a: f32[T,\(k)], %b: f32[T,\(k)], %nw: weight f32[\(k)], %w: weight \(dt)[18,\(k)], %wq: weight \(dt)[128,\(k)], %kc: state f32[C,32], %vc: state f32[C,32]) {
              %s, %y = add_rms_matmul(%a, %b, %nw, %w) {eps = 1e-05} : f32[T,\(k)], f32[T,18]
              %y2 = rms_matmul(%a, %nw, %w) {eps = 1e-05} : f32[T,18]
              %y3 = matmul(%s, %w) : f32[T,18]
              %s2, %g = add_rms_matmul_swiglu(%s, %a, %nw, %w) {eps = 1e-05} : f32[T,\(k)], f32[T,9]
              %e = rms_matmul_geglu(%s2, %nw, %w) {approx = "tanh", eps = 1e-05} : f32[T,9]
              %s3, %q, %kc2, %vc2 = add_rms_qkv_rope(%s2, %b, %nw, %wq, %kc, %vc) {base = 10000.0, eps = 1e-05, head_dim = 32, heads = 2, kv_heads = 1, mode = "half"} : f32[T,\(k)], f32[T,64], f32[C,32], f32[C,32]
              return %s, %y, %y2, %y3, %s2, %g, %e, %s3, %q, %kc2
            }
            """, ["T": 1, "P": 3, "C": 8])
        }
        for dt in ["q4_k", "q6_k"] {
            try check("graph @w(%x: f32[T,8192], %nw: weight f32[8192], %w: weight \(dt)[5,8192]) {\n  %y = rms_matmul(%x, %nw, %w) {eps = 1e-05} : f32[T,5]\n  %y2 = matmul(%x, %w) : f32[T,5]\n  return %y, %y2\n}", ["T": 1])
        }
    }

    /// The fused llama block on Vulkan equals the unfused one on the reference interpreter.
    func testFusedLlamaBlock() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("graphs/llama_block.graph"), encoding: .utf8)
        let g = try GraphParser.parse(text)
        let opt = try PassManager.standard.run(g)
        XCTAssertEqual(opt.opCounts["qkv_rope"], 1)
        for (t, p) in [(3, 2), (1, 6)] {
            let r = try RandomFeeds(graph: g, bindings: ["T": t, "P": p, "C": 8], seed: 4)
            var st = r.state
            let want = try ReferenceInterpreter(graph: g).run(feeds: r.feeds, state: &st, bindings: r.bindings)
            let weights = r.feeds.filter { n, _ in g.params.contains { $0.name == n && $0.kind == .weight } }
            let exec = try VulkanExecutor(device: device, graph: opt, bindings: r.bindings, weights: weights)
            for (n, s) in r.state { try exec.setState(n, s) }
            let got = try exec.run(inputs: ["x": r.feeds["x"]!], bindings: ["P": p])
            XCTAssertLessThan(CrossCheck.compare(got["y"]!, want["y"]!), 5e-4)
            XCTAssertLessThan(CrossCheck.compare(try exec.state("k_cache"), st["k_cache"]!), 5e-4)
            // Fused decode: fewer dispatches than ops in the unfused graph.
            XCTAssertLessThan(exec.dispatches.count, g.nodes.count)
        }
    }
}

/// The worked example's kernel (README.md § "Writing a fusion pass") against its reference.
final class GeGLUKernelTests: BackendTestCase {
    func testMatmulGeGLU() throws {
        FusedOps.register()
        for dt in ["f32", "q4_0", "q8_0"] {
            for approx in ["tanh", "erf"] {
                let g = try GraphParser.parse("graph @gg(%x: f32[T,64], %w: weight \(dt)[18,64]) {\n  %y = matmul_geglu(%x, %w) {approx = \"\(approx)\"} : f32[T,9]\n  return %y\n}")
                let r = try RandomFeeds(graph: g, bindings: ["T": 5], seed: 11)
                for res in try CrossCheck.run(device: device, graph: g, feeds: r.feeds, state: r.state, bindings: r.bindings) {
                    XCTAssertTrue(res.passed, "\(dt) \(approx): error \(res.error) > \(res.tolerance)")
                }
            }
        }
    }
}
