extension Tokenizer {
    /// Tokenizer families `init(gguf:)` accepts (`tokenizer.ggml.model`).
    public static let supportedModels = ["gpt2", "llama"]

    /// Builds the tokenizer described by `file`'s `tokenizer.ggml.*` metadata.
    public convenience init(gguf file: GGUFFile) throws {
        try self.init(gguf: file.metadata)
    }

    /// Builds the tokenizer described by a GGUF file's `tokenizer.ggml.*` metadata.
    ///
    /// Reads `model` ("gpt2", or "llama": SentencePiece, with `scores` and `add_space_prefix`
    /// (default true) instead of `merges` and `pre`), `pre` (absent means gpt2), `tokens`, `merges`,
    /// `token_type`, `bos/eos/unknown_token_id` and `add_bos_token/add_eos_token` (defaults:
    /// false, except true for llama3 as in llama.cpp).
    public convenience init(gguf metadata: GGUFMetadata) throws {
        let model = try metadata.requireString("tokenizer.ggml.model")
        guard Self.supportedModels.contains(model) else {
            throw TokenizerError.unsupportedModel(model, supported: Self.supportedModels)
        }
        let spm = model == "llama"
        let pre = spm ? .gpt2 : try PreTokenizer(ggufName: try metadata.string("tokenizer.ggml.pre") ?? "gpt2")
        let tokens = try metadata.requireStringArray("tokenizer.ggml.tokens")
        let merges = spm ? [] : try metadata.requireStringArray("tokenizer.ggml.merges")
        let scores: [Float]? = spm ? try metadata.requireArray("tokenizer.ggml.scores").enumerated().map { i, v in
            guard let f = v.float else {
                throw TokenizerError.invalid(field: "tokenizer.ggml.scores #\(i)", reason: "not a number")
            }
            return Float(f)
        } : nil
        var types: [TokenType] = []
        if metadata["tokenizer.ggml.token_type"] != nil {
            let raw = try metadata.requireIntArray("tokenizer.ggml.token_type")
            types = try raw.enumerated().map { i, v in
                guard let t = Int32(exactly: v).flatMap(TokenType.init(rawValue:)) else {
                    throw TokenizerError.invalid(field: "tokenizer.ggml.token_type #\(i)",
                                                 reason: "unknown token type \(v)")
                }
                return t
            }
        }
        func id(_ key: String) throws -> Int32? {
            guard let v = try metadata.int(key) else { return nil }
            guard let i = Int32(exactly: v) else {
                throw TokenizerError.invalid(field: key, reason: "id \(v) out of range")
            }
            return i
        }
        try self.init(tokens: tokens, tokenTypes: types, merges: merges, preTokenizer: pre,
                      bosID: try id("tokenizer.ggml.bos_token_id"),
                      eosID: try id("tokenizer.ggml.eos_token_id"),
                      unknownID: try id("tokenizer.ggml.unknown_token_id"),
                      addBOS: try metadata.bool("tokenizer.ggml.add_bos_token") ?? (spm || pre == .llama3),
                      addEOS: try metadata.bool("tokenizer.ggml.add_eos_token") ?? false,
                      scores: scores,
                      addSpacePrefix: spm ? try metadata.bool("tokenizer.ggml.add_space_prefix") ?? true : false)
    }
}
