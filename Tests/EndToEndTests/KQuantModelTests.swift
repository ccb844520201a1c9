import XCTest
@testable import Sluice
@testable import SluiceBackend
@testable import SluiceFrontends
import SluiceGraph
import SluicePasses

/// A LLaMA-shaped model in GGUF's K-quants (Q4_K_M files mix q4_k and q6_k): decoder layers in
/// q4_k and the tied embedding / LM head in q6_k, random weights. On Vulkan with the GPU pass
/// pipeline (the K-quants go through the plain matrix kernels; the persistent kernel takes no
/// K-quant stage) against the CPU reference interpreter on the unoptimized graphs: the logits
/// of a prefill and of greedy decode steps within 1e-3 of their largest magnitude, the same
/// tokens.
final class KQuantModelTests: XCTestCase {
    /// `got` within 1e-3 of the largest magnitude of `want` (which is not all zeros).
    func assertLogitsClose(_ got: [Float], _ want: [Float], _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        let scale = want.map(abs).max()!
        let err = zip(want, got).map { abs($0 - $1) }.max()!
        XCTAssertGreaterThan(scale, 0, label, file: file, line: line)
        XCTAssertLessThanOrEqual(err, 1e-3 * scale, "\(label): max |Δlogit| \(err) of \(scale)", file: file, line: line)
    }

    func testQ4KLayersAndQ6KHeadMatchTheReference() throws {
        let device = try VulkanDevice()
        let config = TransformerConfig(architecture: "llama", vocabSize: 300, hidden: 256, layers: 2, heads: 4, kvHeads: 2,
                                       headDim: 64, ffn: 512, ropeBase: 10000, ropeMode: "interleaved", normEps: 1e-5,
                                       contextLength: 64)
        let m = try SyntheticSource.model(config: config, layerType: .q4_k, embeddingType: .q6_k)
        let cpu = try ReferenceRunner(model: m, contextLength: 32, maxChunk: 8)
        // As a GPU runs it (the persistent kernel on: the steps' other stages in it), and with
        // plain dispatches only.
        for persistent in [true, false] {
            Persistent.override = Persistent.Settings(enabled: persistent, groups: 1, spinLimit: 1 << 22, retryGroups: nil, headRows: 144)
            defer { Persistent.override = nil }
            let gpu = try VulkanRunner(device: device, model: m, contextLength: 32, maxChunk: 8, passes: .standard)
            let kernels = try gpu.executor(.decode).dispatches.map(\.kernel)
            XCTAssertTrue(kernels.contains { $0.contains("_q4_k_") }, "\(kernels)")
            XCTAssertTrue(kernels.contains { $0.contains("_q6_k_") }, "\(kernels)")
            try cpu.reset()
            var tokens: [Int32] = [5, 77, 12, 250, 3], past = 0
            for step in 0..<4 {
                let stage: GraphStage = step == 0 ? .prefill : .decode
                let a = try cpu.run(stage, tokens: tokens, past: past, logits: true)
                let b = try gpu.run(stage, tokens: tokens, past: past, logits: true)
                assertLogitsClose(b.logits, a.logits, "persistent \(persistent) step \(step)")
                XCTAssertEqual(a.next, b.next, "persistent \(persistent) step \(step)")
                past += tokens.count
                tokens = [a.next]
            }
        }
    }

    /// A LLaMA GGUF written by gguf-py in Q4_K_M's K-quants (scripts/make_kquant_llama.py: q4_k
    /// matrices, q6_k V and down projections and tied embedding/head, random blocks): loaded
    /// from the file, a prefill of five tokens and a decode step of the sixth, each last row's
    /// logits against scripts/reference_llama.py (gguf's dequantizer, float64 numpy) within
    /// 1e-3 of their largest magnitude, and the same argmax.
    func testKQuantGGUFMatchesNumpy() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/llama_kquant")
        let m = try ModelLoader.load(path: dir.appendingPathComponent("llama_kquant.gguf").path)
        XCTAssertEqual(Set(m.weights.values.map(\.dtype)), [.q4_k, .q6_k, .f32])
        let want = try SmolLM2Tests.npy(dir.appendingPathComponent("logits.npy"))
        let ids = try String(contentsOf: dir.appendingPathComponent("ids.txt"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").map { Int32($0)! }
        let vocab = m.config.vocabSize
        XCTAssertEqual(want.count, ids.count * vocab)
        let gpu = try VulkanRunner(device: try VulkanDevice(), model: m, contextLength: 32, maxChunk: 8)
        let prefill = try gpu.run(.prefill, tokens: Array(ids[0..<5]), past: 0, logits: true)
        let decode = try gpu.run(.decode, tokens: [ids[5]], past: 5, logits: true)
        for (row, got) in [(4, prefill), (5, decode)] {
            let ref = Array(want[(row * vocab)..<((row + 1) * vocab)])
            assertLogitsClose(got.logits, ref, "position \(row)")
            XCTAssertEqual(Int(got.next), ref.indices.max { ref[$0] < ref[$1] }!, "position \(row)")
        }
    }
}
