import Foundation
import XCTest
@testable import Sluice

/// Models from the other front doors (Hugging Face folders: LLaMA in bf16, tied-head LLaMA in
/// f16, sharded GPT-2 in f32; GPT-2 in GGUF, f32 and Q8_0) against independent references:
/// PyTorch float32 eager attention (scripts/make_hf_fixtures.py) and, for the Q8_0 file, a
/// numpy forward pass over the dequantized weights (scripts/make_gguf_gpt2.py).
final class HFModelTests: XCTestCase {
    static let hf = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("FrontendsTests/Fixtures/hf")

    struct Reference: Decodable {
        struct Model: Decodable { let greedy: [[Int32]] }
        struct Check: Decodable { let text: String; let ids: [Int32] }
        struct TokenizerChecks: Decodable { let checks: [Check] }
        let prompts: [[Int32]]
        let models: [String: Model]
        let tokenizer: TokenizerChecks
    }

    static func reference() throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: hf.appendingPathComponent("reference.json")))
    }

    /// Largest |a − b| over the largest |b|.
    static func relativeError(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max()! / b.map(abs).max()!
    }

    /// Runs every prompt: the logits after the prompt and after each greedy step must match
    /// the reference rows within `tolerance` of the largest |logit|, and the greedy ids must be
    /// the reference's. `steps` (the reference's logits after each fed greedy token) are
    /// compared when given.
    func check(_ path: String, logits: (Int) -> String, steps: ((Int) -> String)?, greedy: [[Int32]],
               tolerance: Float, file: StaticString = #filePath, line: UInt = #line) throws {
        let m = try ModelLoader.load(path: path)
        let runner = try VulkanRunner(device: try VulkanDevice(), model: m, contextLength: 64, maxChunk: 16)
        for (i, prompt) in try Self.reference().prompts.enumerated() {
            let want = try SmolLM2Tests.npy(Self.hf.appendingPathComponent(logits(i)))
            let vocab = m.config.vocabSize
            let wantSteps = try steps.map { try SmolLM2Tests.npy(Self.hf.appendingPathComponent($0(i))) }
            var got: [[Float]] = []
            var ids: [Int32] = []
            let gen = Generator(runner: runner)
            try gen.reset()
            _ = try gen.generate(prompt: prompt, maxTokens: greedy[i].count, sampling: SamplingParameters(),
                                 onLogits: { got.append($0) }) { ids.append($0); return true }
            let last = Array(want[(want.count - vocab)...])
            let err = Self.relativeError(got[0], last)
            XCTAssertLessThan(err, tolerance, "\(path) prompt \(i): prompt logits", file: file, line: line)
            if let wantSteps {
                for s in 1..<min(got.count, wantSteps.count / vocab + 1) {
                    let row = Array(wantSteps[((s - 1) * vocab)..<(s * vocab)])
                    XCTAssertLessThan(Self.relativeError(got[s], row), tolerance, "\(path) prompt \(i) step \(s)", file: file, line: line)
                }
            }
            XCTAssertEqual(ids, greedy[i], "\(path) prompt \(i): greedy ids", file: file, line: line)
        }
    }

    /// float32 against float32 with another summation order: measured ≤ 1.1e-6 of the largest |logit| on lavapipe.
    static let tolerance: Float = 1e-4

    func testLlamaSafetensorsBF16() throws {
        let r = try Self.reference()
        try check(Self.hf.appendingPathComponent("llama").path, logits: { "llama/llama_logits_\($0).npy" },
                  steps: { "llama/llama_steps_\($0).npy" }, greedy: r.models["llama"]!.greedy, tolerance: Self.tolerance)
    }

    func testTiedLlamaSafetensorsF16() throws {
        let r = try Self.reference()
        try check(Self.hf.appendingPathComponent("llama_tied").path, logits: { "llama_tied/llama_tied_logits_\($0).npy" },
                  steps: { "llama_tied/llama_tied_steps_\($0).npy" }, greedy: r.models["llama_tied"]!.greedy, tolerance: Self.tolerance)
    }

    func testGPT2ShardedSafetensors() throws {
        let r = try Self.reference()
        try check(Self.hf.appendingPathComponent("gpt2").path, logits: { "gpt2/gpt2_logits_\($0).npy" },
                  steps: { "gpt2/gpt2_steps_\($0).npy" }, greedy: r.models["gpt2"]!.greedy, tolerance: Self.tolerance)
    }

    func testGPT2GGUF() throws {
        let r = try Self.reference()
        try check(Self.hf.appendingPathComponent("gpt2_f32.gguf").path, logits: { "gpt2/gpt2_logits_\($0).npy" },
                  steps: { "gpt2/gpt2_steps_\($0).npy" }, greedy: r.models["gpt2"]!.greedy, tolerance: Self.tolerance)
    }

    /// Q8_0 weights: compared with numpy over the same dequantized weights (no greedy ids:
    /// quantization moves them away from the float32 model's).
    func testGPT2GGUFQ80() throws {
        let path = Self.hf.appendingPathComponent("gpt2_q8_0.gguf").path
        let m = try ModelLoader.load(path: path)
        let runner = try VulkanRunner(device: try VulkanDevice(), model: m, contextLength: 64, maxChunk: 16)
        for (i, prompt) in try Self.reference().prompts.enumerated() {
            let want = try SmolLM2Tests.npy(Self.hf.appendingPathComponent("gpt2_q8_0_numpy_logits_\(i).npy"))
            let gen = Generator(runner: runner)
            try gen.reset()
            let got = try gen.prefill(prompt)
            XCTAssertLessThan(Self.relativeError(got.logits, Array(want[(want.count - m.config.vocabSize)...])), Self.tolerance, "prompt \(i)")
        }
    }

    /// ONNX exports (TorchScript and dynamo exporters, with and without past_key_values, one
    /// with external data) against onnxruntime's logits and PyTorch's greedy ids.
    func testONNXExports() throws {
        let r = try Self.reference()
        let files = ["onnx/llama_nocache_ts", "onnx/llama_cache_ts", "onnx/llama_nocache_dynamo", "onnx/llama_cache_dynamo",
                     "onnx/gpt2_nocache_ts", "onnx/gpt2_cache_ts", "onnx_external/llama_nocache_ts"]
        for f in files {
            let model = f.contains("gpt2") ? "gpt2" : "llama"
            let cached = f.contains("_cache_")
            let logits = f.hasPrefix("onnx_external") ? "onnx_external/llama_nocache_ts_external_logits" : f + "_logits"
            try check(Self.hf.appendingPathComponent(f + ".onnx").path, logits: { "\(logits)_\($0).npy" },
                      steps: cached ? { "\(f)_steps_\($0).npy" } : nil, greedy: r.models[model]!.greedy, tolerance: Self.tolerance)
        }
    }

    /// An imported ONNX LLaMA ends up with the same fused ops as the GGUF SmolLM2 (per layer:
    /// norm+QKV+RoPE, split attention, norm+gate/up+SiLU; the first and last norms without a
    /// residual).
    func testONNXLlamaFusesLikeGGUF() throws {
        FusedOps.register()
        for f in ["onnx/llama_cache_ts", "onnx/llama_nocache_dynamo"] {
            let m = try ModelLoader.load(path: Self.hf.appendingPathComponent(f + ".onnx").path)
            let g = try PassManager.standard.run(try m.graph(.decode))
            let ops = Dictionary(g.nodes.map { ($0.op, 1) }, uniquingKeysWith: +)
            XCTAssertEqual(ops["rms_qkv_rope"], 1, f)
            XCTAssertEqual(ops["add_rms_qkv_rope"], m.config.layers - 1, f)
            XCTAssertEqual(ops["add_rms_matmul_swiglu"], m.config.layers, f)
            XCTAssertEqual(ops["add_rms_matmul"], 1, f)
            XCTAssertEqual(ops["attention_split"], m.config.layers, f)
            // Embedding, 5 dispatches per layer, head, argmax (weight concatenations aside).
            XCTAssertEqual(g.nodes.filter { $0.op != "concat" }.count, 1 + 5 * m.config.layers + 2, "\(f): \(ops)")
        }
    }

    /// tokenizer.json (pairs-form merges, an added special token) gives the `tokenizers` ids.
    func testTokenizerJSONMatchesHuggingFace() throws {
        let m = try ModelLoader.load(path: Self.hf.appendingPathComponent("gpt2").path)
        let tok = try XCTUnwrap(m.tokenizer)
        XCTAssertEqual(tok.eosID, 999)
        for c in try Self.reference().tokenizer.checks {
            XCTAssertEqual(tok.encode(c.text), c.ids, c.text)
            XCTAssertEqual(tok.decode(c.ids), c.text)
        }
    }
}
