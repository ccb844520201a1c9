import Foundation
import XCTest
@testable import SluiceFrontends

/// The SmolLM2 tokenizer built from the GGUF, against Hugging Face `tokenizers` configured
/// from the same vocabulary and merges (Fixtures/tokenizer_smollm2.json, written by
/// scripts/make_tokenizer_fixture.py). Token ids must match exactly; no tolerance applies.
final class SmolLM2TokenizerTests: XCTestCase {
    private func load() throws -> Tokenizer {
        try Tokenizer(gguf: TestSupport.openModel())
    }

    func testFlags() throws {
        let tok = try load()
        XCTAssertEqual(tok.vocabularySize, 49152)
        XCTAssertEqual(tok.preTokenizer, .smollm)
        XCTAssertEqual(tok.bosID, 1)
        XCTAssertEqual(tok.eosID, 2)
        XCTAssertFalse(tok.addBOS, "SmolLM2 sets add_bos_token = false")
        XCTAssertEqual(tok.encode("<|im_start|>"), [1])
        XCTAssertTrue(tok.isControl(2))
    }

    func testMatchesHuggingFaceTokenizers() throws {
        let tok = try load()
        let fixture = try TestSupport.loadJSON("tokenizer_smollm2.json")
        let cases = try XCTUnwrap(fixture["encode"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(cases.count, 20)
        for c in cases {
            let expected = (c["ids"] as! [Int]).map { Int32($0) }
            let text: String
            let label: String
            if let path = c["file"] as? String {
                let data = try XCTUnwrap(FileManager.default.contents(atPath: path), "fixture input \(path) missing")
                XCTAssertEqual(c["bytes"] as? Int, data.count, "\(path) differs from the fixture's copy")
                XCTAssertEqual(c["fnv1a64"] as? String, String(TestSupport.fnv1a64(data)),
                               "\(path) differs from the fixture's copy; rerun scripts/make_tokenizer_fixture.py")
                text = String(decoding: data, as: UTF8.self)
                label = path
            } else {
                text = c["text"] as! String
                label = text.debugDescription
            }
            let ids = tok.encode(text)
            if ids != expected {
                let i = (0..<min(ids.count, expected.count)).first { ids[$0] != expected[$0] } ?? min(ids.count, expected.count)
                XCTFail("""
                    \(label.prefix(80)): ids differ at \(i) of \(expected.count): \
                    got \(Array(ids[i..<min(i + 8, ids.count)])) \
                    expected \(Array(expected[i..<min(i + 8, expected.count)]))
                    """)
            }
            XCTAssertEqual(tok.decode(ids), text, "decode(encode(x)) != x for \(label.prefix(80))")
        }
    }

    /// ~105 KB of English (GPL-3 three times) through a fresh tokenizer (empty piece cache).
    func testEncodeSpeed() throws {
        let tok = try load()
        let gpl = try XCTUnwrap(FileManager.default.contents(atPath: "/usr/share/common-licenses/GPL-3"))
        let text = String(repeating: String(decoding: gpl, as: UTF8.self), count: 3)
        let start = Date()
        let ids = tok.encode(text)
        let seconds = Date().timeIntervalSince(start)
        print("encode speed: \(text.utf8.count) bytes -> \(ids.count) tokens in "
              + String(format: "%.2f s (%.0f KB/s)", seconds, Double(text.utf8.count) / 1024 / seconds))
        XCTAssertLessThan(seconds, 20, "encoding ~100 KB should take a few seconds even in debug")
    }

    func testStreamingDecodeOfRealTokens() throws {
        let tok = try load()
        let text = "Emoji 👋🏽🌍, CJK 你好世界, accents déjà vu.<|im_end|>"
        var dec = StreamingDecoder(tokenizer: tok)
        var out = ""
        for id in tok.encode(text) {
            let piece = dec.append(id)
            XCTAssertFalse(piece.contains("\u{FFFD}"), "partial character emitted: \(piece)")
            out += piece
        }
        out += dec.finish()
        XCTAssertEqual(out, text)
        var quiet = StreamingDecoder(tokenizer: tok, skipControl: true)
        XCTAssertEqual(tok.encode(text).map { quiet.append($0) }.joined(), "Emoji 👋🏽🌍, CJK 你好世界, accents déjà vu.")
    }
}
