import Foundation
import XCTest
@testable import Sluice

/// SmolLM2-135M-Instruct (Q4_1) end to end against an independent reference: a float64
/// numpy forward pass over weights dequantized by the `gguf` package
/// (scripts/reference_llama.py; fixtures in Fixtures/llama_reference).
final class SmolLM2Tests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/llama_reference")

    struct Prompts: Decodable {
        struct Prompt: Decodable { let text: String; let ids: [Int32]; let greedy_ids: [Int32]; let greedy_margins: [Double] }
        let prompts: [Prompt]
        let logits_files: [String]
    }
    struct Perplexity: Decodable { let ctx: Int; let chunks: Int; let perplexity: Double; let perplexity_wrong_neox_pairing: Double; let ids: [Int32] }

    nonisolated(unsafe) static var shared: (LoadedModel, VulkanRunner)?

    static func modelPath() throws -> String {
        let p = ProcessInfo.processInfo.environment["SLUICE_MODEL"] ?? root.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
        guard FileManager.default.fileExists(atPath: p) else {
            XCTFail("the model \(p) is missing: run `make test` (or scripts/fetch-model.sh)")
            throw XCTSkip("model missing")
        }
        return p
    }

    func vulkan() throws -> (LoadedModel, VulkanRunner) {
        if let s = Self.shared { return s }
        let m = try ModelLoader.load(path: try Self.modelPath())
        let r = try VulkanRunner(device: try VulkanDevice(), model: m, contextLength: 128, maxChunk: 64)
        Self.shared = (m, r)
        return (m, r)
    }

    func prompts() throws -> Prompts {
        try JSONDecoder().decode(Prompts.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("prompts.json")))
    }

    /// Reads a float32 .npy file written by numpy.
    static func npy(_ url: URL) throws -> [Float] {
        let d = try Data(contentsOf: url)
        let headerLen = Int(d[8]) | Int(d[9]) << 8
        let body = d.subdata(in: (10 + headerLen)..<d.count)
        return body.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    func testTokenizerGivesTheReferenceIds() throws {
        let (m, _) = try vulkan()
        for p in try prompts().prompts.prefix(3) { XCTAssertEqual(m.tokenizer?.encode(p.text), p.ids, p.text) }
    }

    /// Last-position logits within 1e-3 of the largest |logit| (the reference is float64,
    /// ours float32 with another summation order over K ≤ 1536; measured below 1e-4).
    func testLastTokenLogitsMatchNumpy() throws {
        let (_, r) = try vulkan()
        let ps = try prompts()
        for (p, file) in zip(ps.prompts, ps.logits_files) {
            let want = try Self.npy(Self.fixtures.appendingPathComponent(file))
            let gen = Generator(runner: r)
            try gen.reset()
            let got = try gen.prefill(p.ids)
            XCTAssertEqual(got.logits.count, want.count)
            let scale = want.map(abs).max()!
            let err = zip(got.logits, want).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(err, 1e-3 * scale, "\(p.text): max |Δlogit| \(err)")
            XCTAssertEqual(Int(got.next), want.indices.max { want[$0] < want[$1] }!, p.text)
        }
    }

    /// Greedy ids step by step (each step's top-1 margin in the reference is ≥ 0.05).
    func testGreedyIdsMatchNumpy() throws {
        let (_, r) = try vulkan()
        for p in try prompts().prompts {
            let gen = Generator(runner: r)
            try gen.reset()
            var ids: [Int32] = []
            _ = try gen.generate(prompt: p.ids, maxTokens: p.greedy_ids.count, sampling: SamplingParameters()) { ids.append($0); return true }
            XCTAssertEqual(ids, p.greedy_ids, p.text)
        }
    }

    /// Perplexity on real text within 0.5% of the reference. A RoPE pairing mistake still
    /// ranks " Paris" first but gives ~209 here instead of ~35.
    func testPerplexityMatchesNumpy() throws {
        let (m, _) = try vulkan()
        let ref = try JSONDecoder().decode(Perplexity.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("perplexity.json")))
        let r = try VulkanRunner(device: try VulkanDevice(), model: m, contextLength: ref.ctx, maxChunk: 32)
        let (ppl, scored) = try Generator(runner: r).perplexity(ref.ids, window: ref.ctx, chunks: ref.chunks)
        XCTAssertEqual(scored, ref.chunks * (ref.ctx - 1))
        XCTAssertLessThan(abs(ppl - ref.perplexity) / ref.perplexity, 0.005, "perplexity \(ppl) vs \(ref.perplexity)")
        XCTAssertLessThan(ppl, ref.perplexity_wrong_neox_pairing / 2)
    }

    /// With the K/V caches in float16 (the half-kv-cache pass, `--kv-cache f16`) the
    /// perplexity stays within 0.5% of the float64 reference too.
    func testHalfCachePerplexityWithinHalfAPercent() throws {
        let (m, _) = try vulkan()
        let device = try VulkanDevice()
        try XCTSkipUnless(device.info.storage16, "\(device.info.name): no 16-bit storage buffers")
        let ref = try JSONDecoder().decode(Perplexity.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("perplexity.json")))
        let pm = (device.info.kind == .cpu ? PassManager.standardForCPU : .standard).withHalfCache()
        let r = try VulkanRunner(device: device, model: m, contextLength: ref.ctx, maxChunk: 32, passes: pm)
        XCTAssertEqual(try r.executor(.prefill).graph.params.filter { $0.name.hasPrefix("cache.") }.map(\.type.dtype), Array(repeating: .f16, count: 2 * m.config.layers))
        let (ppl, _) = try Generator(runner: r).perplexity(ref.ids, window: ref.ctx, chunks: ref.chunks)
        XCTAssertLessThan(abs(ppl - ref.perplexity) / ref.perplexity, 0.005, "perplexity \(ppl) vs \(ref.perplexity)")
    }

    /// The CPU reference interpreter on the same graphs gives the same logits.
    func testReferenceInterpreterPathMatchesNumpy() throws {
        let (m, _) = try vulkan()
        let p = try prompts().prompts[0]
        let want = try Self.npy(Self.fixtures.appendingPathComponent("logits_0.npy"))
        let gen = Generator(runner: try ReferenceRunner(model: m, contextLength: 16))
        let got = try gen.prefill(p.ids)
        let err = zip(got.logits, want).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(err, 1e-3 * want.map(abs).max()!, "reference interpreter: max |Δlogit| \(err)")
        XCTAssertEqual(got.next, p.greedy_ids[0])
        let second = try gen.runner.run(.decode, tokens: [p.greedy_ids[0]], past: p.ids.count, logits: false)
        XCTAssertEqual(second.next, p.greedy_ids[1])
    }

    func testContextOverflowIsAClearError() throws {
        let (_, r) = try vulkan()
        let gen = Generator(runner: r)
        try gen.reset()
        XCTAssertThrowsError(try gen.generate(prompt: [504, 3575], maxTokens: 200, sampling: SamplingParameters()) { _ in true }) {
            XCTAssertTrue("\($0)".contains("context is full"), "\($0)")
        }
    }
}

/// The chat template read from the model's metadata, and a second turn continuing the cache.
final class ChatTests: XCTestCase {
    func testChatMLFromMetadataAndCacheKeptAcrossTurns() throws {
        let m = try ModelLoader.load(path: try SmolLM2Tests.modelPath())
        let t = try XCTUnwrap(ChatTemplate(jinja: m.chatTemplate), "SmolLM2's template is ChatML")
        XCTAssertEqual(t.defaultSystem, "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        let first = t.userTurn("What is 2+2?", first: true)
        XCTAssertTrue(first.hasPrefix("<|im_start|>system\nYou are a helpful AI assistant"))
        XCTAssertTrue(first.hasSuffix("<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n"))
        XCTAssertFalse(t.userTurn("Hi", first: false).contains("system"))
        let tok = try XCTUnwrap(m.tokenizer)
        // The reference ids of prompt 2 (ChatML without the system turn) come out of the template.
        XCTAssertEqual(tok.encode(t.userTurn("What is 2+2?", first: false)),
                       [1, 4093, 198, 1780, 314, 216, 34, 27, 34, 47, 2, 198, 1, 520, 9531, 198])
        let gen = Generator(runner: try VulkanRunner(device: try VulkanDevice(), model: m, contextLength: 64, maxChunk: 16))
        var reply: [Int32] = []
        _ = try gen.generate(prompt: tok.encode(t.userTurn("What is 2+2?", first: false)), maxTokens: 6, sampling: SamplingParameters()) {
            reply.append($0); return true
        }
        XCTAssertEqual(tok.decode(reply), "The answer is 4.")
        let before = gen.history.count
        _ = try gen.generate(prompt: tok.encode(t.userTurn("Thanks", first: false)), maxTokens: 2, sampling: SamplingParameters()) { _ in true }
        XCTAssertGreaterThan(gen.history.count, before, "the second turn continues the same cache")
    }
}
