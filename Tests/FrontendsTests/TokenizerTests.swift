import Foundation
import XCTest
@testable import SluiceFrontends

/// Tokenizer pieces that need no model: the byte table, BPE merge order on a toy
/// vocabulary, streaming decode, errors, and the pre-tokenizer scanners against the pieces
/// Hugging Face `tokenizers` (Oniguruma regexes) produced for the same texts.
final class TokenizerTests: XCTestCase {
    func testByteTable() {
        let t = ByteLevel.byteToScalar
        XCTAssertEqual(Set(t).count, 256)
        XCTAssertEqual(t[0x20], "\u{0120}")  // Ġ
        XCTAssertEqual(t[0x0A], "\u{010A}")  // Ċ
        XCTAssertEqual(t[0x21], "!")
        XCTAssertEqual(t[0xFF], "ÿ")
        XCTAssertEqual(t[0xAD], "\u{0143}")  // soft hyphen is not printable: mapped above 0xFF
        for b in 0..<256 { XCTAssertEqual(ByteLevel.scalarToByte[t[b].value], UInt8(b)) }
        XCTAssertEqual(ByteLevel.bytes(ofToken: "Ġthe"), Array(" the".utf8))
    }

    /// A vocabulary of all 256 byte characters plus the given merged tokens.
    private func toyTokenizer(merges: [String], extra: [String] = [], special: [String] = [],
                              pre: PreTokenizer = .gpt2) throws -> Tokenizer {
        var tokens = ByteLevel.byteToScalar.map { String($0) }
        for m in merges { tokens.append(m.replacingOccurrences(of: " ", with: "")) }
        tokens += extra
        var types = [TokenType](repeating: .normal, count: tokens.count)
        tokens += special
        types += special.map { _ in .control }
        return try Tokenizer(tokens: tokens, tokenTypes: types, merges: merges, preTokenizer: pre)
    }

    func testMergesApplyByRankLeftmostFirst() throws {
        // "aaa": the rank-0 merge "a a" applies at the leftmost position first → "aa" + "a".
        let tok = try toyTokenizer(merges: ["a a", "b c", "a b", "aa a"])
        let ids = tok.encode("aaa")
        XCTAssertEqual(ids.map { tok.tokens[Int($0)] }, ["aaa"])
        // "abc": "b c" (rank 1) beats "a b" (rank 2) → "a" + "bc".
        XCTAssertEqual(tok.encode("abc").map { tok.tokens[Int($0)] }, ["a", "bc"])
        // "aaaa": "a a" at 0, then "a a" (rank 0) at 2 beats "aa a" (rank 3) → "aa" + "aa".
        XCTAssertEqual(tok.encode("aaaa").map { tok.tokens[Int($0)] }, ["aa", "aa"])
    }

    func testLongPieceIsFast() throws {
        let tok = try toyTokenizer(merges: ["a a", "aa aa", "aaaa aaaa"])
        let text = String(repeating: "a", count: 50_000)
        let start = Date()
        let ids = tok.encode(text)
        XCTAssertEqual(ids.count, 50_000 / 8)
        XCTAssertLessThan(Date().timeIntervalSince(start), 10, "one long piece must not be quadratic")
        XCTAssertEqual(tok.decode(ids), text)
    }

    func testSpecialTokensAreMatchedFirstAndNeverSplit() throws {
        let tok = try toyTokenizer(merges: ["< |"], special: ["<|x|>", "<|x|>y"])
        let ids = tok.encode("a<|x|>b<|x|>y<|x|")
        let names = ids.map { tok.tokens[Int($0)] }
        XCTAssertEqual(names, ["a", "<|x|>", "b", "<|x|>y", "<|", "x", "|"])  // longest match wins
        XCTAssertEqual(tok.decode(ids), "a<|x|>b<|x|>y<|x|")
        // Without parseSpecial, control-token text is plain text.
        XCTAssertFalse(tok.encode("<|x|>", parseSpecial: false).contains(where: tok.isControl))
        XCTAssertEqual(tok.decode(ids, skipControl: true), "ab<|x|")
    }

    func testStreamingDecoderHoldsIncompleteUTF8() throws {
        // Single-byte tokens only, so every multi-byte character spans several tokens.
        let tok = try toyTokenizer(merges: [])
        let text = "é€😀!"
        let ids = tok.encode(text)
        XCTAssertEqual(ids.count, text.utf8.count)
        var dec = StreamingDecoder(tokenizer: tok)
        var pieces: [String] = []
        for id in ids { pieces.append(dec.append(id)) }
        pieces.append(dec.finish())
        XCTAssertEqual(pieces.joined(), text)
        XCTAssertEqual(pieces.filter { !$0.isEmpty }, ["é", "€", "😀", "!"])
        XCTAssertFalse(pieces.joined().contains("\u{FFFD}"))

        // An invalid byte is not held back; a sequence cut at the end is flushed as U+FFFD.
        var d2 = StreamingDecoder(tokenizer: tok)
        let ff = tok.id(of: String(ByteLevel.byteToScalar[0xFF]))!
        let e2 = tok.id(of: String(ByteLevel.byteToScalar[0xE2]))!
        XCTAssertEqual(d2.append(ff), "\u{FFFD}")
        XCTAssertEqual(d2.append(e2), "")
        XCTAssertEqual(d2.pendingByteCount, 1)
        XCTAssertEqual(d2.finish(), "\u{FFFD}")
        // A lead byte followed by a non-continuation byte is invalid, not pending.
        XCTAssertEqual(d2.append(e2), "")
        XCTAssertEqual(d2.append(tok.encode("A")[0]), "\u{FFFD}A")
    }

    func testUnknownPreTokenizerListsSupported() {
        XCTAssertThrowsError(try PreTokenizer(ggufName: "falcon")) { e in
            let s = "\(e)"
            XCTAssertTrue(s.contains("'falcon' is not supported"), s)
            for name in ["gpt2", "smollm", "llama3", "qwen2"] { XCTAssertTrue(s.contains(name), s) }
        }
    }

    func testUnsupportedModelFromMetadata() {
        var m = GGUFMetadata(path: "x.gguf")
        m.insert("tokenizer.ggml.model", .string("rwkv"))
        XCTAssertThrowsError(try Tokenizer(gguf: m)) { e in
            XCTAssertEqual("\(e)", "tokenizer.ggml.model 'rwkv' is not supported (supported: gpt2, llama)")
        }
    }

    func testBadSpecialIDs() {
        XCTAssertThrowsError(try Tokenizer(tokens: ["a"], merges: [], preTokenizer: .gpt2, bosID: 5)) { e in
            XCTAssertTrue("\(e)".contains("bos_token_id"), "\(e)")
        }
    }

    /// Every pre-tokenizer cuts any text into non-empty pieces that join back to the text, and
    /// encoding round-trips, on random strings (fixed seed).
    func testRandomTextsRoundTrip() throws {
        let pool: [String] = ["a", "Z", "é", "\u{301}", "7", "½", " ", " ", "\n", "\r", "\t", "\u{A0}",
                              "'", "s", "L", "!", "-", "你", "😀", "👍🏽", "\u{200B}", "\0", "<|x|>"]
        var rng = SplitMix64(seed: 42)
        let toks = try PreTokenizer.allCases.map { try toyTokenizer(merges: ["a a", "Ġ a"], special: ["<|x|>"], pre: $0) }
        for _ in 0..<300 {
            let n = Int(rng.next() % 30) + 1
            let text = (0..<n).map { _ in pool[Int(rng.next() % UInt64(pool.count))] }.joined()
            for (pre, tok) in zip(PreTokenizer.allCases, toks) {
                let pieces = pre.split(text)
                XCTAssertEqual(pieces.joined(), text, "\(pre)")
                XCTAssertFalse(pieces.contains(""), "\(pre) on \(text.debugDescription)")
                XCTAssertEqual(tok.decode(tok.encode(text)), text, "\(pre) on \(text.debugDescription)")
            }
        }
    }

    /// The scanners against Hugging Face `Split(Regex(pattern), "isolated")`.
    func testPreTokenizersMatchHuggingFace() throws {
        let fixture = try TestSupport.loadJSON("tokenizer_smollm2.json")
        let cases = try XCTUnwrap(fixture["pretokenize"] as? [[String: Any]])
        XCTAssertGreaterThan(cases.count, 60)
        for c in cases {
            let pattern = try XCTUnwrap(PreTokenizer(rawValue: c["pattern"] as! String))
            let text = c["text"] as! String
            let expected = c["pieces"] as! [String]
            XCTAssertEqual(pattern.split(text), expected, "\(pattern) on \(text.debugDescription)")
        }
    }
}
