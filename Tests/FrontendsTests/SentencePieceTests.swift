import XCTest
@testable import SluiceFrontends

/// SentencePiece's BPE (`tokenizer.ggml.model = "llama"`) on a toy vocabulary, with the
/// expected pieces worked out by hand from the rule: merge the adjacent pair that forms the
/// highest-scoring piece, the leftmost among equal scores; bytes of what no piece covers.
final class SentencePieceTests: XCTestCase {
    /// Pieces with scores; byte tokens <0x00> … <0xFF> (type byte) after them; `<s>` control.
    private func toy(_ pieces: [(String, Float)], spacePrefix: Bool = false) throws -> Tokenizer {
        var tokens = ["<unk>", "<s>"] + pieces.map(\.0)
        var types: [TokenType] = [.unknown, .control] + pieces.map { _ in .normal }
        var scores: [Float] = [0, 0] + pieces.map(\.1)
        for b in 0..<256 {
            tokens.append(SentencePieceBPE.byteToken(UInt8(b))); types.append(.byte); scores.append(0)
        }
        return try Tokenizer(tokens: tokens, tokenTypes: types, merges: [], preTokenizer: .gpt2, bosID: 1,
                             unknownID: 0, addBOS: true, scores: scores, addSpacePrefix: spacePrefix)
    }

    private func pieces(_ tok: Tokenizer, _ text: String) -> [String] {
        tok.encode(text, addSpecial: false).map { tok.tokens[Int($0)] }
    }

    func testHighestScoreMergesFirst() throws {
        let tok = try toy([("a", -1), ("b", -1), ("c", -1), ("ab", -5), ("bc", -2), ("abc", -3)])
        // "abc": "bc" (−2) beats "ab" (−5); then "a"+"bc" = "abc" is a piece (−3).
        XCTAssertEqual(pieces(tok, "abc"), ["abc"])
        // "abab": both "ab" pairs score −5; the left one merges first, then the right one.
        XCTAssertEqual(pieces(tok, "abab"), ["ab", "ab"])
        // "cab": "ab" is the only pair with a piece.
        XCTAssertEqual(pieces(tok, "cab"), ["c", "ab"])
    }

    func testEqualScoresLeftmostFirst() throws {
        // "aaa": "aa" at 0 and at 1 tie; the leftmost merges → "aa" + "a" (no "aaa" piece).
        let tok = try toy([("a", -1), ("aa", -2)])
        XCTAssertEqual(pieces(tok, "aaa"), ["aa", "a"])
    }

    func testSpacesAndBytes() throws {
        let tok = try toy([("▁", -1), ("h", -1), ("i", -1), ("hi", -2), ("▁hi", -3)], spacePrefix: true)
        // The space prefix, spaces spelled ▁; "é" (two UTF-8 bytes) has no piece: its bytes.
        XCTAssertEqual(pieces(tok, "hi hé"), ["▁hi", "▁", "h", "<0xC3>", "<0xA9>"])
        XCTAssertEqual(tok.encode("hi"), [1, Int32(tok.id(of: "▁hi")!)])
        // Decoding: ▁ is a space, a byte token its byte.
        XCTAssertEqual(tok.decode(tok.encode("hi hé", addSpecial: false)), " hi hé")
        XCTAssertEqual(tok.decode(tok.encode("hi", addSpecial: true), skipControl: true), " hi")
    }

    /// EOS and the control tokens that end a turn stop a generation; a normal token spelled
    /// like one does not.
    func testEndOfGeneration() throws {
        let tokens = ["<unk>", "<s>", "</s>", "<end_of_turn>", "<|im_end|>", "a"]
        let tok = try Tokenizer(tokens: tokens, tokenTypes: [.unknown, .control, .control, .control, .normal, .normal], merges: [],
                                preTokenizer: .gpt2, bosID: 1, eosID: 2, unknownID: 0, scores: [0, 0, 0, 0, 0, -1])
        XCTAssertEqual(tok.endOfGeneration, [2, 3])
    }

    func testScoresMustMatchTokens() {
        XCTAssertThrowsError(try Tokenizer(tokens: ["a", "b"], merges: [], preTokenizer: .gpt2, scores: [0])) { e in
            XCTAssertEqual("\(e)", "tokenizer.ggml.scores: 1 scores for 2 tokens")
        }
        XCTAssertThrowsError(try Tokenizer(tokens: ["a", "b"], merges: [], preTokenizer: .gpt2, scores: [0, .nan])) { e in
            XCTAssertEqual("\(e)", "tokenizer.ggml.scores #1: score nan is not finite")
        }
    }
}
