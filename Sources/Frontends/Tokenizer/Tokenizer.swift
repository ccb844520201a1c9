import Foundation

/// A byte-level BPE tokenizer (GGUF `tokenizer.ggml.model = "gpt2"`), or SentencePiece's BPE
/// (`"llama"`: pieces with scores, SentencePiece.swift) when built with `scores`.
///
/// Encoding: special tokens (control and user-defined, token types 3 and 4) are found in
/// the raw text first and never split; the text between them is cut by the pre-tokenizer,
/// each piece's UTF-8 bytes are spelled with GPT-2's byte table and merged by rank.
/// Results are cached per piece, so repeated words cost one lookup.
/// Decoding returns the exact bytes: `decode(encode(x)) == x` for every string.
public final class Tokenizer: @unchecked Sendable {
    /// Vocabulary entries as stored (byte-level spelling; special tokens verbatim).
    public let tokens: [String]
    public let tokenTypes: [TokenType]
    public let preTokenizer: PreTokenizer
    public let bosID: Int32?
    public let eosID: Int32?
    public let unknownID: Int32?
    /// Whether `encode` adds BOS / EOS when `addSpecial` is true.
    public let addBOS: Bool
    public let addEOS: Bool

    private let tokenIDs: [String: Int32]
    private let merges: BPEMerges
    /// SentencePiece encoding (nil: byte-level BPE), and whether a text that follows the start
    /// or a special token gets a leading space (`tokenizer.ggml.add_space_prefix`).
    private let sentencePiece: SentencePieceBPE?
    private let addSpacePrefix: Bool
    private let allSpecials: SpecialTokenMatcher
    private let userDefinedOnly: SpecialTokenMatcher
    /// Decoded bytes of every token, flattened: token `i` is `tokenBytes[tokenStarts[i]..<tokenStarts[i+1]]`.
    private let tokenBytes: [UInt8]
    private let tokenStarts: [Int]

    private let cacheLock = NSLock()
    private var cache: [[UInt8]: [Int32]] = [:]
    private static let cacheLimit = 100_000

    /// Builds a tokenizer from its parts. `tokenTypes` may be empty (all normal).
    /// With `scores` (one per token) it is a SentencePiece tokenizer: `merges` and
    /// `preTokenizer` are unused.
    public init(tokens: [String], tokenTypes: [TokenType] = [], merges: [String],
                preTokenizer: PreTokenizer, bosID: Int32? = nil, eosID: Int32? = nil,
                unknownID: Int32? = nil, addBOS: Bool = false, addEOS: Bool = false,
                scores: [Float]? = nil, addSpacePrefix: Bool = false) throws {
        guard !tokens.isEmpty, tokens.count < Int(Int32.max) else {
            throw TokenizerError.invalid(field: "tokenizer.ggml.tokens", reason: "\(tokens.count) tokens")
        }
        guard tokenTypes.isEmpty || tokenTypes.count == tokens.count else {
            throw TokenizerError.invalid(field: "tokenizer.ggml.token_type",
                                         reason: "\(tokenTypes.count) types for \(tokens.count) tokens")
        }
        for (name, id) in [("bos", bosID), ("eos", eosID), ("unknown", unknownID)] {
            if let id, id < 0 || Int(id) >= tokens.count {
                throw TokenizerError.invalid(field: "tokenizer.ggml.\(name)_token_id",
                                             reason: "id \(id) is outside the vocabulary of \(tokens.count)")
            }
        }
        self.tokens = tokens
        self.tokenTypes = tokenTypes.isEmpty ? Array(repeating: .normal, count: tokens.count) : tokenTypes
        self.preTokenizer = preTokenizer
        self.bosID = bosID
        self.eosID = eosID
        self.unknownID = unknownID
        self.addBOS = addBOS && bosID != nil
        self.addEOS = addEOS && eosID != nil

        var ids: [String: Int32] = [:]
        ids.reserveCapacity(tokens.count)
        for (i, t) in tokens.enumerated() where ids[t] == nil { ids[t] = Int32(i) }
        tokenIDs = ids
        self.merges = try BPEMerges(merges: scores == nil ? merges : [], tokenIDs: ids)
        sentencePiece = try scores.map { try SentencePieceBPE(tokens: tokens, scores: $0, pieceIDs: ids) }
        self.addSpacePrefix = addSpacePrefix

        var specials: [(String, Int32)] = [], userDefined: [(String, Int32)] = []
        var bytes: [UInt8] = [], starts: [Int] = [0]
        starts.reserveCapacity(tokens.count + 1)
        for (i, t) in tokens.enumerated() {
            let type = self.tokenTypes[i]
            if type.isSpecial {
                specials.append((t, Int32(i)))
                if type == .userDefined { userDefined.append((t, Int32(i))) }
                bytes.append(contentsOf: t.utf8)
            } else if scores != nil {
                // SentencePiece: "▁" is a space; a byte token is its byte.
                if type == .byte, let b = SentencePieceBPE.byteValue(t) { bytes.append(b) }
                else { bytes.append(contentsOf: t.replacingOccurrences(of: "\u{2581}", with: " ").utf8) }
            } else {
                bytes.append(contentsOf: ByteLevel.bytes(ofToken: t))
            }
            starts.append(bytes.count)
        }
        allSpecials = SpecialTokenMatcher(specials)
        userDefinedOnly = SpecialTokenMatcher(userDefined)
        tokenBytes = bytes
        tokenStarts = starts
    }

    /// Number of tokens in the vocabulary.
    public var vocabularySize: Int { tokens.count }

    /// The id of a vocabulary entry, spelled as stored.
    public func id(of token: String) -> Int32? { tokenIDs[token] }

    // MARK: - Encoding

    /// Token ids for `text`.
    /// - Parameters:
    ///   - addSpecial: add BOS/EOS as the model's flags ask.
    ///   - parseSpecial: match control tokens (e.g. `<|im_start|>`) in the text; when false
    ///     only user-defined tokens are matched and control-token text is encoded as text.
    public func encode(_ text: String, addSpecial: Bool = true, parseSpecial: Bool = true) -> [Int32] {
        var out: [Int32] = []
        if addSpecial && addBOS, let bos = bosID { out.append(bos) }

        let t = ScalarText(text)
        out.reserveCapacity(t.utf8.count / 3 + 2)
        let specials = parseSpecial ? allSpecials : userDefinedOnly
        let shared = cacheLock.withLock { cache }
        var fresh: [[UInt8]: [Int32]] = [:]
        var ends: [Int] = []

        var segmentStart = 0, i = 0
        while i <= t.count {
            var special: (id: Int32, end: Int)? = nil
            if i < t.count && !specials.isEmpty { special = specials.match(t.scalars, at: i) }
            if special == nil && i < t.count { i += 1; continue }
            // Plain text segmentStart..<i, then the special token (if any).
            if segmentStart < i, let spm = sentencePiece {
                // As llama.cpp: a space before a text at the start or after a special token
                // (where the model asks for it), every space spelled "▁".
                var text = String(decoding: t.utf8[t.byteOffsets[segmentStart]..<t.byteOffsets[i]], as: UTF8.self)
                if addSpacePrefix { text = " " + text }
                spm.encode(text.replacingOccurrences(of: " ", with: "\u{2581}"), unknown: unknownID, into: &out)
            } else if segmentStart < i {
                ends.removeAll(keepingCapacity: true)
                preTokenizer.split(t, segmentStart, i, into: &ends)
                var start = segmentStart
                for e in ends {
                    let piece = t.utf8[t.byteOffsets[start]..<t.byteOffsets[e]]
                    encodePiece(piece, shared: shared, fresh: &fresh, into: &out)
                    start = e
                }
            }
            guard let special else { break }
            out.append(special.id)
            i = special.end
            segmentStart = i
        }

        if !fresh.isEmpty {
            cacheLock.withLock {
                if cache.count + fresh.count > Self.cacheLimit { cache.removeAll() }
                cache.merge(fresh) { a, _ in a }
            }
        }
        if addSpecial && addEOS, let eos = eosID { out.append(eos) }
        return out
    }

    private func encodePiece(_ piece: ArraySlice<UInt8>, shared: [[UInt8]: [Int32]],
                             fresh: inout [[UInt8]: [Int32]], into out: inout [Int32]) {
        let key = Array(piece)
        if let hit = shared[key] ?? fresh[key] {
            out.append(contentsOf: hit)
            return
        }
        var ids: [Int32] = []
        merges.encode(piece, into: &ids)
        if ids.contains(BPEMerges.missing) {
            // A byte with no token: use the unknown token, or drop the byte when there is none.
            ids = ids.compactMap { $0 == BPEMerges.missing ? unknownID : $0 }
        }
        fresh[key] = ids
        out.append(contentsOf: ids)
    }

    // MARK: - Decoding

    /// The bytes token `id` stands for (verbatim text for special tokens); U+FFFD's bytes for
    /// an id outside the vocabulary.
    public func bytes(of id: Int32) -> ArraySlice<UInt8> {
        guard id >= 0, Int(id) < tokens.count else { return Self.replacement[...] }
        return tokenBytes[tokenStarts[Int(id)]..<tokenStarts[Int(id) + 1]]
    }

    /// The ids that end a generation: EOS, and the control tokens models end a turn or a
    /// text with (`<end_of_turn>`, `<|im_end|>`, `<|eot_id|>`, `<|end|>`, `<|endoftext|>`), as
    /// llama.cpp stops at them too: an instruction-tuned Gemma ends its reply with
    /// `<end_of_turn>`, not its EOS.
    public var endOfGeneration: Set<Int32> {
        var ids = Set(eosID.map { [$0] } ?? [])
        for t in ["<end_of_turn>", "<|im_end|>", "<|eot_id|>", "<|end|>", "<|endoftext|>"] {
            if let id = tokenIDs[t], isControl(id) { ids.insert(id) }
        }
        return ids
    }

    /// Whether `id` is a control token (BOS, EOS, `<|im_end|>`, …).
    public func isControl(_ id: Int32) -> Bool {
        id >= 0 && Int(id) < tokens.count && tokenTypes[Int(id)] == .control
    }

    /// The bytes of a sequence of ids. `skipControl` leaves out control tokens.
    public func decodeBytes(_ ids: [Int32], skipControl: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        for id in ids where !(skipControl && isControl(id)) { out.append(contentsOf: bytes(of: id)) }
        return out
    }

    /// The text of a sequence of ids; invalid UTF-8 (a sequence cut mid-character) becomes
    /// U+FFFD. Use `StreamingDecoder` to decode token by token.
    public func decode(_ ids: [Int32], skipControl: Bool = false) -> String {
        String(decoding: decodeBytes(ids, skipControl: skipControl), as: UTF8.self)
    }

    static let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]
}
