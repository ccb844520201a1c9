import Foundation

extension Tokenizer {
    /// Builds the tokenizer a Hugging Face `tokenizer.json` describes: a byte-level BPE model
    /// (GPT-2 style), its added tokens, and a pre-tokenizer this project reproduces (GPT-2's
    /// ByteLevel regex, SmolLM's digit split + ByteLevel, or LLaMA 3's Split regex).
    /// `bosID`/`eosID` come from the model's config; anything else is an error naming the field.
    public convenience init(json file: JSONFile, bosID: Int32?, eosID: Int32?, addBOS: Bool) throws {
        func bad(_ field: String, _ why: String) -> ModelError { .badConfig(file.path, field, why) }
        guard let model = try file.object("model"), try model.string("type") == "BPE" else {
            throw bad("model.type", "only byte-level BPE tokenizers are supported")
        }
        if try model.bool("byte_fallback") == true { throw bad("model.byte_fallback", "byte fallback (SentencePiece-style BPE) is not supported") }
        if file.has("normalizer") { throw bad("normalizer", "normalizers are not supported (byte-level BPE has none)") }
        let pre = try Self.preTokenizer(file)

        guard let vocab = model.root["vocab"] as? [String: Any] else { throw bad("model.vocab", "is missing") }
        var byID: [Int: (String, TokenType)] = [:]
        for (token, v) in vocab {
            guard let id = (v as? NSNumber)?.intValue, (0..<4_000_000).contains(id) else { throw bad("model.vocab.\(token)", "\(v) is not a token id") }
            byID[id] = (token, .normal)
        }
        for (i, entry) in (file.root["added_tokens"] as? [[String: Any]] ?? []).enumerated() {
            guard let id = (entry["id"] as? NSNumber)?.intValue, (0..<4_000_000).contains(id),
                  let content = entry["content"] as? String else { throw bad("added_tokens[\(i)]", "needs an id and content") }
            byID[id] = (content, (entry["special"] as? Bool) == true ? .control : .userDefined)
        }
        let count = (byID.keys.max() ?? -1) + 1
        guard count > 0 else { throw bad("model.vocab", "is empty") }
        // Ids nobody names stay as unused placeholders, so every id below the largest is valid.
        var tokens: [String] = [], types: [TokenType] = []
        for id in 0..<count {
            let (t, type) = byID[id] ?? ("<unused_\(id)>", .unused)
            tokens.append(t); types.append(type)
        }
        guard let rawMerges = model.root["merges"] as? [Any] else { throw bad("model.merges", "is missing") }
        let merges = try rawMerges.enumerated().map { i, m -> String in
            if let s = m as? String { return s }
            if let pair = m as? [String], pair.count == 2 { return pair[0] + " " + pair[1] }
            throw bad("model.merges[\(i)]", "is neither \"a b\" nor [\"a\", \"b\"]")
        }
        try self.init(tokens: tokens, tokenTypes: types, merges: merges, preTokenizer: pre,
                      bosID: bosID, eosID: eosID, addBOS: addBOS)
    }

    /// LLaMA 3's split regex as `tokenizer.json` spells it.
    static let llama3Regex = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    static func preTokenizer(_ file: JSONFile) throws -> PreTokenizer {
        let unsupported = ModelError.badConfig(file.path, "pre_tokenizer",
            "is not one this project reproduces (supported: ByteLevel with its regex; Digits(individual) + ByteLevel; LLaMA 3's Split + ByteLevel)")
        guard let p = file.root["pre_tokenizer"] as? [String: Any] else { throw unsupported }
        func byteLevel(_ d: [String: Any], regex: Bool) -> Bool {
            d["type"] as? String == "ByteLevel" && (d["add_prefix_space"] as? Bool ?? false) == false
                && (d["use_regex"] as? Bool ?? true) == regex
        }
        if byteLevel(p, regex: true) { return .gpt2 }
        guard p["type"] as? String == "Sequence", let steps = p["pretokenizers"] as? [[String: Any]], steps.count == 2 else {
            throw unsupported
        }
        if steps[0]["type"] as? String == "Digits", steps[0]["individual_digits"] as? Bool == true, byteLevel(steps[1], regex: true) {
            return .smollm
        }
        if steps[0]["type"] as? String == "Split", (steps[0]["pattern"] as? [String: Any])?["Regex"] as? String == llama3Regex,
           byteLevel(steps[1], regex: false) {
            return .llama3
        }
        throw unsupported
    }
}
