import Foundation
import XCTest
@testable import Sluice

/// Gemma 3 270M (llama.cpp's Q4_K_M file: q4_k, q6_k, q5_0 and q8_0 tensors) against llama.cpp
/// itself (Fixtures/gemma3_llamacpp/reference.json, written through llama-cpp-python; see the
/// README there): the SentencePiece tokenizer's ids, the last position's logits, greedy ids.
final class Gemma3Tests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/gemma3_llamacpp/reference.json")

    struct Reference: Decodable {
        struct Case: Decodable { let text: String; let ids: [Int32]; let ids_bos: [Int32]; let ids_special: [Int32]? }
        let tokenize: [Case]
        let prompt_ids: [Int32]
        let argmax_per_position: [Int32]
        let last_top32: [[Double]]
        let greedy_ids: [Int32]
        let f32_last_top32: [[Double]]
        struct PastWindow: Decodable { let source: String; let chars: Int; let prompt_ids: [Int32]; let greedy_ids: [Int32] }
        let past_window: PastWindow
    }

    nonisolated(unsafe) static var shared: (LoadedModel, VulkanRunner)?

    func model() throws -> (LoadedModel, VulkanRunner) {
        if let s = Self.shared { return s }
        let p = Self.root.appendingPathComponent("models/gemma-3-270m-q4_k_m.gguf").path
        guard FileManager.default.fileExists(atPath: p) else {
            XCTFail("\(p) is missing: run scripts/setup.sh (or scripts/fetch-gemma.sh)")
            throw XCTSkip("model missing")
        }
        let m = try ModelLoader.load(path: p)
        let r = try VulkanRunner(device: try VulkanDevice(), model: m, contextLength: 64, maxChunk: 16)
        Self.shared = (m, r)
        return (m, r)
    }

    func reference() throws -> Reference { try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Self.fixture)) }

    func testTokenizerMatchesLlamaCpp() throws {
        let (m, _) = try model()
        let tok = try XCTUnwrap(m.tokenizer)
        for c in try reference().tokenize {
            XCTAssertEqual(tok.encode(c.text, addSpecial: false, parseSpecial: false), c.ids, c.text)
            XCTAssertEqual(tok.encode(c.text, addSpecial: true, parseSpecial: false), c.ids_bos, c.text)
            if let s = c.ids_special { XCTAssertEqual(tok.encode(c.text, addSpecial: false, parseSpecial: true), s, c.text) }
            XCTAssertEqual(tok.decode(c.ids), c.text, "decode: \(c.text)")
        }
        // A reply ends at <eos> or <end_of_turn> (ids from the reference's special-token parse).
        XCTAssertEqual(tok.endOfGeneration, [1, 106])
    }

    /// The layers' attention: five sliding-window layers (512 positions, RoPE base 10,000),
    /// then a global one (base 10⁶), as llama.cpp's Gemma 3 runs them.
    func testSlidingWindowLayers() throws {
        let (m, _) = try model()
        let g = try m.graph(.decode)
        let attn = g.nodes.filter { $0.op == "attention" }, rope = g.nodes.filter { $0.op == "rope" && $0.outputs[0].name.hasSuffix("k_rot") }
        XCTAssertEqual(attn.count, 18)
        for (l, node) in attn.enumerated() {
            let local = l % 6 < 5
            XCTAssertEqual(node.attributes["window"]?.intValue ?? 0, local ? 512 : 0, "layer \(l)")
            XCTAssertEqual(rope[l].attributes["base"]?.doubleValue, local ? 10000 : 1_000_000, "layer \(l)")
        }
    }

    /// The last position's logits: the same argmax at every position, and llama.cpp's 32 largest
    /// within 0.5. (llama.cpp rounds the activations to 8 bits for its K-quant products: on
    /// this prompt its logits differ from ours by 0.22 rms, 0.28 at most among the 32 largest;
    /// on the same weights dequantized to a float32 GGUF the two agree within 0.01.)
    func testLogitsMatchLlamaCpp() throws {
        let (_, r) = try model()
        let ref = try reference()
        let gen = Generator(runner: r)
        for t in 1...ref.prompt_ids.count {
            try gen.reset()
            let got = try gen.prefill(Array(ref.prompt_ids.prefix(t)))
            XCTAssertEqual(got.next, ref.argmax_per_position[t - 1], "position \(t - 1)")
            if t == ref.prompt_ids.count {
                for pair in ref.last_top32 {
                    let id = Int(pair[0])
                    XCTAssertEqual(Double(got.logits[id]), pair[1], accuracy: 0.5, "logit of \(id)")
                }
            }
        }
    }

    /// A 661-token prompt, past the 512-position sliding window: llama.cpp's tokenization of
    /// the text and its 8 greedy tokens (the local layers must forget the first positions).
    func testPastTheSlidingWindow() throws {
        let (m, _) = try model()
        let ref = try reference().past_window
        let text = try XCTUnwrap(FileManager.default.contents(atPath: "/usr/share/common-licenses/GPL-3"), "the GPL-3 text")
        let prefix = String(String(decoding: text, as: UTF8.self).prefix(ref.chars))
        XCTAssertEqual(try XCTUnwrap(m.tokenizer).encode(prefix), ref.prompt_ids)
        let r = try VulkanRunner(device: try VulkanDevice(), model: m, contextLength: 1024, maxChunk: 256)
        var ids: [Int32] = []
        _ = try Generator(runner: r).generate(prompt: ref.prompt_ids, maxTokens: ref.greedy_ids.count, sampling: SamplingParameters()) { ids.append($0); return true }
        XCTAssertEqual(ids, ref.greedy_ids)
    }

    /// Sixteen greedy tokens, as llama.cpp picks them (" red, blue, and yellow.\n\nThe primary …").
    func testGreedyIdsMatchLlamaCpp() throws {
        let (_, r) = try model()
        let ref = try reference()
        let gen = Generator(runner: r)
        try gen.reset()
        var ids: [Int32] = []
        _ = try gen.generate(prompt: ref.prompt_ids, maxTokens: ref.greedy_ids.count, sampling: SamplingParameters()) { ids.append($0); return true }
        XCTAssertEqual(ids, ref.greedy_ids)
    }
}
