import Foundation
import XCTest
@testable import Sluice

/// The passes on the real model: each fusion fires once per layer, the optimized graphs
/// match the golden dumps in graphs/golden, and generation is the same with and without
/// fusion.
final class FusionEndToEndTests: XCTestCase {
    static let golden = SmolLM2Tests.root.appendingPathComponent("graphs/golden")

    func model() throws -> LoadedModel {
        if let s = SmolLM2Tests.shared { return s.0 }
        return try ModelLoader.load(path: try SmolLM2Tests.modelPath())
    }

    func testFusionsFireOncePerLayer() throws {
        let m = try model()
        let L = m.config.layers
        var fired: [String: Int] = [:]
        let decode = try PassManager.standard.run(try m.graph(.decode)) { fired[$0.pass, default: 0] += $0.changes }
        // Each fusion fires once per layer; residual + norm twice (before attention and
        // before the MLP; the last layer's second residual meets the final norm).
        XCTAssertEqual(fired["fuse-qkv-rope"], L)
        XCTAssertEqual(fired["fuse-gate-up-silu"], L)
        XCTAssertEqual(fired["fuse-add-norm"], 2 * L)
        // Then every norm moves into the prologue of the matrix op that reads it.
        XCTAssertEqual(fired["fuse-norm-prologue"], 2 * L + 1)
        XCTAssertEqual(decode.opCounts["rms_qkv_rope"], 1)
        XCTAssertEqual(decode.opCounts["add_rms_qkv_rope"], L - 1)
        XCTAssertEqual(decode.opCounts["add_rms_matmul_swiglu"], L)
        XCTAssertEqual(decode.opCounts["add_rms_matmul"], 1)
        for op in ["rope", "silu", "rms_norm", "add_rms_norm", "kv_write"] { XCTAssertNil(decode.opCounts[op], op) }
        // Attention is split over the cache, in one dispatch.
        XCTAssertEqual(decode.opCounts["attention_split"], L)
        // At most five dependent dispatches per layer (plus the embedding and the head):
        // QKV, attention, output projection, gate/up, down.
        let (_, _, dispatches) = try DispatchPlan.make(decode, bindings: ["T": 1, "C": 64, "P": 0])
        XCTAssertLessThanOrEqual(dispatches.barriers.filter { $0 }.count, 5 * L + 2)
        fired = [:]
        let prefill = try PassManager.standard.run(try m.graph(.prefill)) { fired[$0.pass, default: 0] += $0.changes }
        // In prefill the last-row slice sits between the last residual and the final norm,
        // and the layers' norms stay separate (prologues are for one-row values: only the
        // final norm of the last row moves into the head's matmul).
        XCTAssertEqual(fired["fuse-add-norm"], 2 * L - 1)
        XCTAssertEqual(fired["fuse-norm-prologue"], 1)
        XCTAssertEqual(prefill.opCounts["rms_matmul"], 1)
        XCTAssertEqual(prefill.opCounts["add_rms_norm"], 2 * L - 1)
        XCTAssertEqual(prefill.opCounts["qkv_rope"], L)
    }

    /// Snapshot of the optimized graphs; SLUICE_RECORD=1 re-records them.
    func testOptimizedGraphsMatchGoldenDumps() throws {
        let m = try model()
        let record = ProcessInfo.processInfo.environment["SLUICE_RECORD"] == "1"
        for stage in [GraphStage.prefill, .decode] {
            let text = GraphPrinter.print(try PassManager.standard.run(try m.graph(stage)))
            let file = Self.golden.appendingPathComponent("smollm2_\(stage.rawValue).graph")
            if record {
                try FileManager.default.createDirectory(at: Self.golden, withIntermediateDirectories: true)
                try text.write(to: file, atomically: true, encoding: .utf8)
                continue
            }
            guard let want = try? String(contentsOf: file, encoding: .utf8) else {
                return XCTFail("\(file.path) is missing: run the tests with SLUICE_RECORD=1 to record it")
            }
            XCTAssertTrue(want == text, "\(stage) graph differs from \(file.lastPathComponent); if intended, re-record with SLUICE_RECORD=1")
            let parsed = try GraphParser.parse(want)
            try Verifier.verify(parsed)
        }
    }

    /// Greedy generation is the same token for token with the cleanup-only pipeline, the CPU
    /// pipeline and the full one (norm prologues included).
    func testGenerationUnchangedWithoutFusion() throws {
        let m = try model()
        let prompt: [Int32] = [504, 3575, 282, 4649, 314]
        var outs: [[Int32]] = []
        for pm in [PassManager.standardForCPU, .cleanupOnly, .standard] {
            let r = try VulkanRunner(device: try VulkanDevice(), model: m, contextLength: 32, maxChunk: 8, passes: pm)
            var ids: [Int32] = []
            _ = try Generator(runner: r).generate(prompt: prompt, maxTokens: 6, sampling: SamplingParameters()) { ids.append($0); return true }
            outs.append(ids)
        }
        XCTAssertEqual(outs[0], outs[1])
        XCTAssertEqual(outs[0], outs[2])
        XCTAssertEqual(outs[0].first, 7042)  // " Paris"
    }

    /// The reference interpreter on the fused graphs gives the numpy logits too.
    func testFusedGraphsOnTheReferenceInterpreter() throws {
        let m = try model()
        let want = try SmolLM2Tests.npy(SmolLM2Tests.fixtures.appendingPathComponent("logits_0.npy"))
        let got = try Generator(runner: try ReferenceRunner(model: m, contextLength: 8, passes: .standard)).prefill([504, 3575, 282, 4649, 314])
        let err = zip(got.logits, want).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(err, 1e-3 * want.map(abs).max()!)
    }
}
