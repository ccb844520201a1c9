import Foundation
import XCTest
@testable import Sluice
@testable import SluiceBackend

/// Qwen 2 (Q/K/V biases), Qwen 3 (per-head query/key norms, a head size of 48 with hidden 128
/// and 4 heads) and Llama 3 (RoPE frequency factors) GGUFs written by gguf-py
/// (scripts/make_arch_ggufs.py: q8_0 matrices, random blocks), against the numpy reference (scripts/reference_llama.py: gguf's dequantizer,
/// float64): a 5-token prefill and a decode step, logits within 1e-3 of the largest, the same
/// argmax; the persistent decode kernel on where the device takes it.
final class ArchModelTests: XCTestCase {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/archs")

    func check(_ arch: String) throws {
        let m = try ModelLoader.load(path: Self.dir.appendingPathComponent("\(arch).gguf").path)
        XCTAssertEqual(m.config.architecture, arch == "llama3" ? "llama" : arch)
        XCTAssertEqual(m.config.ropeMode, arch == "llama3" ? "interleaved" : "half")
        let want = try SmolLM2Tests.npy(Self.dir.appendingPathComponent("\(arch)_logits.npy"))
        let ids = try String(contentsOf: Self.dir.appendingPathComponent("ids.txt"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").map { Int32($0)! }
        let vocab = m.config.vocabSize
        XCTAssertEqual(want.count, ids.count * vocab)
        let device = try VulkanDevice()
        // With the persistent decode kernel (one workgroup, as on a CPU driver: the step's
        // matrix stages in it) and with plain dispatches only.
        for persistent in [true, false] {
            Persistent.override = Persistent.Settings(enabled: persistent, groups: 1, spinLimit: 1 << 22, retryGroups: nil, headRows: 144)
            defer { Persistent.override = nil }
            let gpu = try VulkanRunner(device: device, model: m, contextLength: 32, maxChunk: 8)
            let prefill = try gpu.run(.prefill, tokens: Array(ids[0..<5]), past: 0, logits: true)
            let decode = try gpu.run(.decode, tokens: [ids[5]], past: 5, logits: true)
            for (row, got) in [(4, prefill), (5, decode)] {
                let ref = Array(want[(row * vocab)..<((row + 1) * vocab)])
                let scale = ref.map(abs).max()!, err = zip(ref, got.logits).map { abs($0 - $1) }.max()!
                XCTAssertLessThanOrEqual(err, 1e-3 * scale, "\(arch) persistent \(persistent) position \(row): max |Δlogit| \(err) of \(scale)")
                XCTAssertEqual(Int(got.next), ref.indices.max { ref[$0] < ref[$1] }!, "\(arch) persistent \(persistent) position \(row)")
            }
        }
    }

    func testQwen2MatchesNumpy() throws { try check("qwen2") }
    func testQwen3MatchesNumpy() throws { try check("qwen3") }
    /// Without the factors the logits differ (checked by the reference's own graph: the decode
    /// graph uses rope_scaled).
    func testLlama3RopeFactorsMatchNumpy() throws {
        try check("llama3")
        let m = try ModelLoader.load(path: Self.dir.appendingPathComponent("llama3.gguf").path)
        XCTAssertEqual(try m.graph(.decode).nodes.filter { $0.op == "rope_scaled" }.count, 4)
    }
}
