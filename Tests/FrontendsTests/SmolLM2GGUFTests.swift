import Foundation
import XCTest
import SluiceGraph
@testable import SluiceFrontends

/// The real SmolLM2-135M-Instruct Q4_1 file. Expected values: the model's published
/// configuration and, for tensor placement and bytes, the `gguf` Python package's reader
/// (Fixtures/gguf_smollm2_tensors.json, written by scripts/make_tokenizer_fixture.py).
final class SmolLM2GGUFTests: XCTestCase {
    func testHyperparameters() throws {
        let f = try TestSupport.openModel()
        let m = f.metadata
        XCTAssertEqual(f.version, 3)
        XCTAssertEqual(try m.requireString("general.architecture"), "llama")
        XCTAssertEqual(try m.requireInt("llama.block_count"), 30)
        XCTAssertEqual(try m.requireInt("llama.embedding_length"), 576)
        XCTAssertEqual(try m.requireInt("llama.feed_forward_length"), 1536)
        XCTAssertEqual(try m.requireInt("llama.attention.head_count"), 9)
        XCTAssertEqual(try m.requireInt("llama.attention.head_count_kv"), 3)
        XCTAssertEqual(try m.requireInt("llama.context_length"), 8192)
        XCTAssertEqual(try m.requireFloat("llama.rope.freq_base"), 100000)
        XCTAssertEqual(try m.requireFloat("llama.attention.layer_norm_rms_epsilon"), 1e-5, accuracy: 1e-12)
        XCTAssertEqual(try m.requireString("tokenizer.ggml.pre"), "smollm")
        XCTAssertEqual(try m.requireStringArray("tokenizer.ggml.tokens").count, 49152)
    }

    func testTensors() throws {
        let f = try TestSupport.openModel()
        XCTAssertEqual(f.tensors.count, 272)  // 2 + 30 × 9
        let embd = try f.requireTensor("token_embd.weight")
        XCTAssertEqual(embd.dtype, .q8_0)
        XCTAssertEqual(embd.dims, [576, 49152])
        XCTAssertEqual(embd.shape, [49152, 576])
        XCTAssertEqual(embd.byteCount, 49152 * 576 / 32 * 34)
        XCTAssertNil(f.tensor(named: "output.weight"), "SmolLM2 ties the output projection to token_embd")

        let matrices = ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"]
        for layer in 0..<30 {
            for name in matrices {
                let t = try f.requireTensor("blk.\(layer).\(name).weight")
                XCTAssertEqual(t.dtype, .q4_1, t.name)
            }
            XCTAssertEqual(try f.requireTensor("blk.\(layer).attn_norm.weight").dtype, .f32)
            XCTAssertEqual(try f.requireTensor("blk.\(layer).ffn_norm.weight").dtype, .f32)
        }
        XCTAssertEqual(try f.requireTensor("blk.0.attn_k.weight").shape, [192, 576])
        XCTAssertEqual(try f.requireTensor("blk.0.ffn_down.weight").shape, [576, 1536])
        XCTAssertEqual(try f.requireTensor("output_norm.weight").shape, [576])
    }

    func testTensorPlacementMatchesPythonGGUF() throws {
        let f = try TestSupport.openModel()
        let fixture = try TestSupport.loadJSON("gguf_smollm2_tensors.json")
        XCTAssertEqual(fixture["tensor_count"] as? Int, f.tensors.count)
        let facts = try XCTUnwrap(fixture["tensors"] as? [[String: Any]])
        XCTAssertEqual(facts.count, 5)
        for fact in facts {
            let name = try XCTUnwrap(fact["name"] as? String)
            let t = try f.requireTensor(name)
            XCTAssertEqual(fact["type"] as? Int, Int(t.ggmlType), name)
            XCTAssertEqual(fact["dims"] as? [Int], t.dims, name)
            XCTAssertEqual(fact["file_offset"] as? Int, t.fileOffset, name)
            XCTAssertEqual(fact["n_bytes"] as? Int, t.byteCount, name)
            let data = f.data(for: t)
            XCTAssertEqual(fact["first_bytes"] as? [Int], data.prefix(16).map { Int($0) }, name)
            XCTAssertEqual(fact["fnv1a64_first_4096"] as? String, String(TestSupport.fnv1a64(data.prefix(4096))), name)
        }
    }
}
