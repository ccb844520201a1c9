import Foundation
import XCTest
import SluiceGraph
@testable import SluicePasses

/// Every pass preserves semantics (the reference interpreter on random inputs before and
/// after, weight concatenations folded as at load), fusions fire where they should and
/// never where an intermediate has a second use or is a graph output.
final class FusionTests: XCTestCase {
    static let graphsDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("graphs")

    override func setUp() { FusedOps.register() }

    func graph(_ file: String) throws -> Graph {
        try GraphParser.parse(String(contentsOf: Self.graphsDir.appendingPathComponent(file), encoding: .utf8))
    }

    /// The argmax of a few long rows (decode logits) is split over slices; short rows, many
    /// rows and unknown row counts keep the plain argmax. The result is unchanged.
    func testSplitArgmaxPass() throws {
        for (shape, split) in [("1,9000", true), ("3,20000", true), ("1,100", false), ("8,9000", false), ("T,9000", false)] {
            let g = try GraphParser.parse("graph @a(%x: f32[\(shape)]) {\n  %y = argmax(%x) : i32[\(shape.split(separator: ",")[0])]\n  return %y\n}")
            let opt = try checkSemantics(g, bindings: ["T": 2])
            XCTAssertEqual(opt.opCounts["argmax_split"], split ? 1 : nil, shape)
            XCTAssertEqual(opt.opCounts["argmax"], split ? nil : 1, shape)
        }
    }

    func testLlamaBlockFusesOnceEachAndKeepsSemantics() throws {
        var fired: [String: Int] = [:]
        _ = try PassManager.standard.run(try graph("llama_block.graph")) { fired[$0.pass, default: 0] += $0.changes }
        XCTAssertEqual(fired["fuse-add-norm"], 1)
        XCTAssertEqual(fired["fuse-qkv-rope"], 1)
        XCTAssertEqual(fired["fuse-gate-up-silu"], 1)
        XCTAssertEqual(fired["fuse-norm-prologue"], 0, "prologues are for one-row graphs")
        let opt = try checkSemantics(try graph("llama_block.graph"))
        XCTAssertEqual(opt.opCounts["add_rms_norm"], 1)
        XCTAssertEqual(opt.opCounts["qkv_rope"], 1)
        XCTAssertEqual(opt.opCounts["matmul_swiglu"], 1)
        // The same block for one decode row: both norms move into the matrix kernels.
        let text = try String(contentsOf: Self.graphsDir.appendingPathComponent("llama_block.graph"), encoding: .utf8)
        let decode = try GraphParser.parse(text.replacingOccurrences(of: "[T,", with: "[1,"))
        let dopt = try checkSemantics(decode, bindings: ["P": 5, "C": 8], seed: 3)
        XCTAssertEqual(dopt.opCounts["rms_qkv_rope"], 1)
        XCTAssertEqual(dopt.opCounts["add_rms_matmul_swiglu"], 1)
        XCTAssertNil(dopt.opCounts["rms_norm"])
        // Decode attention is split over the cache (same result, longer cache too).
        XCTAssertEqual(dopt.opCounts["attention_split"], 1)
        XCTAssertNil(opt.opCounts["attention_split"], "prefill keeps one attention pass")
        try checkSemantics(decode, bindings: ["P": 70, "C": 72], seed: 4)
        XCTAssertNil(opt.opCounts["silu"])
        XCTAssertNil(opt.opCounts["kv_write"])
        try checkSemantics(try graph("llama_block.graph"), bindings: ["T": 1, "P": 5, "C": 8], seed: 2)
    }

    /// SLUICE_ATTENTION_SPLITS sets the slices per head the split-attention pass gives (clamped
    /// to 1 … 64), and the partials are sized for them; without it, the default.
    func testAttentionSplitsFromTheEnvironment() throws {
        let text = try String(contentsOf: Self.graphsDir.appendingPathComponent("llama_block.graph"), encoding: .utf8)
            .replacingOccurrences(of: "[T,", with: "[1,")
        func splits(_ env: String?) throws -> (Int?, [Int]?) {
            if let env { setenv("SLUICE_ATTENTION_SPLITS", env, 1) } else { unsetenv("SLUICE_ATTENTION_SPLITS") }
            defer { unsetenv("SLUICE_ATTENTION_SPLITS") }
            let g = try PassManager.standard.run(try GraphParser.parse(text))
            let node = try XCTUnwrap(g.nodes.first { $0.op == "attention_split" })
            let dims = node.outputs[1].type.shape.compactMap { d -> Int? in if case .fixed(let n) = d { return n } else { return nil } }
            return (node.attributes["splits"]?.intValue, dims)
        }
        let heads = try XCTUnwrap(GraphParser.parse(text).nodes.first { $0.op == "attention" }?.attributes)
        let h = try XCTUnwrap(heads["heads"]?.intValue), d = try XCTUnwrap(heads["head_dim"]?.intValue)
        XCTAssertEqual(try splits(nil).0, SplitAttention.defaultSplits)
        let eight = try splits("8")
        XCTAssertEqual(eight.0, 8)
        XCTAssertEqual(eight.1, [1, h * 8 * (d + 2)])
        XCTAssertEqual(try splits("1000").0, 64)
        XCTAssertEqual(try splits("junk").0, SplitAttention.defaultSplits)
    }

    func testGPT2BlockFusesAddLayerNorm() throws {
        let opt = try checkSemantics(try graph("gpt2_block.graph"))
        XCTAssertEqual(opt.opCounts["add_layer_norm"], 1)
    }

    func testEveryPassAloneKeepsSemantics() throws {
        for (name, pass) in PassManager.catalogue {
            for f in ["llama_block.graph", "gpt2_block.graph"] {
                try checkSemantics(try graph(f), PassManager(passes: [pass]), seed: UInt64(name.count))
            }
        }
    }

    func testRandomGraphsKeepSemantics() throws {
        for seed in 0..<60 {
            var rng = SplitMix64(seed: UInt64(seed))
            var b = GraphBuilder(name: "r")
            let d = 32
            var live = [b.param("x", TensorType(.f32, Shape.of("T", d)))]
            let w = b.param("w", TensorType(.f32, Shape.of(d)), kind: .weight)
            let m1 = b.param("m1", TensorType(.q8_0, Shape.of(d, d)), kind: .weight)
            let m2 = b.param("m2", TensorType(.q8_0, Shape.of(d, d)), kind: .weight)
            for _ in 0..<12 {
                let a = live[Int(rng.next() % UInt64(live.count))], c = live[Int(rng.next() % UInt64(live.count))]
                switch rng.next() % 7 {
                case 0: live.append(try b.op("add", [a, c]))
                case 1: live.append(try b.op("rms_norm", [try b.op("add", [a, c]), w], ["eps": .float(1e-5)]))
                case 2:
                    let g = try b.op("matmul", [a, m1]), u = try b.op("matmul", [a, m2])
                    live.append(try b.op("mul", [try b.op("silu", [g]), u]))
                case 3: live.append(try b.op("silu", [a]))
                case 4: live.append(try b.op("matmul", [a, m1]))
                case 5: live.append(try b.op("silu", [a])); live.append(try b.op("silu", [a]))
                default: live.append(try b.op("scale", [a], ["value": .float(0.5)]))
                }
            }
            b.output(live.last!)
            if rng.next() % 2 == 0, live.count > 3 { b.output(live[live.count - 3]) }
            var g = b.graph
            g.outputs = Array(NSOrderedSet(array: g.outputs)) as! [String]
            try checkSemantics(g, bindings: ["T": 2], seed: UInt64(seed))
        }
    }

    // MARK: - Negative cases

    func testNoFusionWhenAnIntermediateHasAnotherUseOrIsAnOutput() throws {
        let base = try String(contentsOf: Self.graphsDir.appendingPathComponent("llama_block.graph"), encoding: .utf8)
        // q has a second use.
        let q2 = try GraphParser.parse(base.replacingOccurrences(of: "  return %y", with: "  %qq = scale(%q) {value = 2.0} : f32[T,576]\n  return %y, %qq"))
        XCTAssertNil(try checkSemantics(q2).opCounts["qkv_rope"])
        // the rotated k is a graph output.
        let k2 = try GraphParser.parse(base.replacingOccurrences(of: "  return %y", with: "  return %y, %k_rot"))
        XCTAssertNil(try checkSemantics(k2).opCounts["qkv_rope"])
        // the gate matmul has a second use; the silu is a graph output.
        let g2 = try GraphParser.parse(base.replacingOccurrences(of: "  return %y", with: "  return %y, %gate"))
        XCTAssertNil(try checkSemantics(g2).opCounts["matmul_swiglu"])
        let s2 = try GraphParser.parse(base.replacingOccurrences(of: "  return %y", with: "  return %y, %act"))
        XCTAssertNil(try checkSemantics(s2).opCounts["matmul_swiglu"])
        // a broadcast add is not a residual add.
        let bc = try GraphParser.parse("""
        graph @b(%x: f32[T,8], %bias: f32[8], %w: weight f32[8]) {
          %s = add(%x, %bias) : f32[T,8]
          %n = rms_norm(%s, %w) {eps = 1e-05} : f32[T,8]
          return %n
        }
        """)
        XCTAssertNil(try checkSemantics(bc).opCounts["add_rms_norm"])
        // the sum may be used again: it is an output of the fused op.
        let sumUsed = try GraphParser.parse("""
        graph @s(%x: f32[T,8], %y: f32[T,8], %w: weight f32[8]) {
          %s = add(%x, %y) : f32[T,8]
          %n = rms_norm(%s, %w) {eps = 1e-05} : f32[T,8]
          %o = add(%n, %s) : f32[T,8]
          return %o, %s
        }
        """)
        XCTAssertEqual(try checkSemantics(sumUsed).opCounts["add_rms_norm"], 1)
    }

    // MARK: - Pass manager and driver

    func testPipelineConfiguration() throws {
        XCTAssertEqual(try PassManager.configured(passes: nil, disabled: ["fuse-qkv-rope"], noFuse: false).passes.map(\.name).contains("fuse-qkv-rope"), false)
        XCTAssertEqual(try PassManager.configured(passes: "dce,fuse-add-norm", disabled: [], noFuse: false).passes.map(\.name), ["dce", "fuse-add-norm"])
        XCTAssertFalse(try PassManager.configured(passes: nil, disabled: [], noFuse: true).passes.contains { $0.name.hasPrefix("fuse") })
        XCTAssertThrowsError(try PassManager.configured(passes: "dce,frobnicate", disabled: [], noFuse: false)) {
            XCTAssertTrue("\($0)".contains("unknown pass 'frobnicate'"), "\($0)")
        }
    }

    func testRunawayRewriteHitsTheLoopGuard() throws {
        let rule = RewriteRule(name: "silu-forever", patterns: [.op("silu", .any("x"), as: "s")]) { m in
            let n = try m.make("silu", [m["x"]], outputs: [m.freshName(m["s"] + "x")])
            return Replacement(nodes: [n], replacing: [m["s"]: n.outputs[0].name])
        }
        var g = try GraphParser.parse("graph @g(%x: f32[T,4]) {\n  %s = silu(%x) : f32[T,4]\n  %o = scale(%s) {value = 2.0} : f32[T,4]\n  return %o\n}")
        XCTAssertThrowsError(try RewriteRule.pass("forever", "", [rule], limit: 50).run(&g)) {
            XCTAssertTrue("\($0)".contains("did not reach a fixed point"), "\($0)")
        }
    }

    func testDeadCodeKeepsCacheWritesAndCSEMerges() throws {
        var g = try GraphParser.parse("""
        graph @g(%x: f32[T,4], %c: state f32[C,4]) {
          %c2 = kv_write(%c, %x) : f32[C,4]
          %a = silu(%x) : f32[T,4]
          %b = silu(%x) : f32[T,4]
          %unused = scale(%x) {value = 3.0} : f32[T,4]
          %s = add(%a, %b) : f32[T,4]
          return %s
        }
        """)
        XCTAssertEqual(try Passes.deadCode.run(&g), 1)
        XCTAssertEqual(g.opCounts["kv_write"], 1)
        XCTAssertEqual(try Passes.commonSubexpressions.run(&g), 1)
        XCTAssertEqual(g.opCounts["silu"], 1)
        XCTAssertEqual(g.nodes.last?.inputs, ["a", "a"])
    }
}
