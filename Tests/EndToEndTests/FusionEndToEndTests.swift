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
        let decode = try PassManager.standard.run(try m.graph(.decode))
        XCTAssertEqual(decode.opCounts["qkv_rope"], L)
        XCTAssertEqual(decode.opCounts["matmul_swiglu"], L)
        // Residual + next norm: twice per layer (before attention and before the MLP); the
        // last layer's second residual meets the final norm.
        XCTAssertEqual(decode.opCounts["add_rms_norm"], 2 * L)
        XCTAssertNil(decode.opCounts["rope"])
        XCTAssertNil(decode.opCounts["silu"])
        let prefill = try PassManager.standard.run(try m.graph(.prefill))
        // In prefill the last-row slice sits between the last residual and the final norm.
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

    /// Greedy generation is the same token for token with the cleanup-only pipeline.
    func testGenerationUnchangedWithoutFusion() throws {
        let m = try model()
        let prompt: [Int32] = [504, 3575, 282, 4649, 314]
        var outs: [[Int32]] = []
        for pm in [PassManager.standard, .cleanupOnly] {
            let r = try VulkanRunner(device: try VulkanDevice(), model: m, contextLength: 32, maxChunk: 8, passes: pm)
            var ids: [Int32] = []
            _ = try Generator(runner: r).generate(prompt: prompt, maxTokens: 6, sampling: SamplingParameters()) { ids.append($0); return true }
            outs.append(ids)
        }
        XCTAssertEqual(outs[0], outs[1])
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
