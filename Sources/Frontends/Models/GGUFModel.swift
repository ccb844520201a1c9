import SluiceGraph

extension GGUFFile: TensorSource {
    public func tensorType(_ name: String) -> (dtype: DType, shape: [Int])? {
        tensor(named: name).map { ($0.dtype, $0.shape) }
    }

    public func hostTensor(_ name: String) throws -> HostTensor {
        let info = try requireTensor(name)
        return try HostTensor(dtype: info.dtype, shape: info.shape, bytes: ByteBuffer(bytes: data(for: info), owner: self))
    }
}

/// Reading a `TransformerConfig` from GGUF metadata (`<arch>.embedding_length`, …).
extension TransformerConfig {
    public init(gguf f: GGUFFile) throws {
        let m = f.metadata
        let arch = try m.requireString("general.architecture")
        func key(_ k: String) -> String { "\(arch).\(k)" }
        let hidden = try m.requireInt(key("embedding_length"))
        let heads = try m.requireInt(key("attention.head_count"))
        guard heads > 0, hidden > 0 else { throw ModelError.badConfig(f.path, key("attention.head_count"), "must be positive") }
        let vocab = try m.int(key("vocab_size")) ?? f.tensor(named: "token_embd.weight")?.shape.first
            ?? (try m.requireStringArray("tokenizer.ggml.tokens")).count
        self.init(
            architecture: arch, vocabSize: vocab, hidden: hidden,
            layers: try m.requireInt(key("block_count")), heads: heads,
            kvHeads: try m.int(key("attention.head_count_kv")) ?? heads,
            headDim: try m.int(key("attention.key_length")) ?? hidden / heads,
            ffn: try m.requireInt(key("feed_forward_length")),
            ropeBase: try m.float(key("rope.freq_base")) ?? 10000,
            ropeMode: "interleaved",
            normEps: try m.float(key("attention.layer_norm_rms_epsilon")) ?? m.float(key("attention.layer_norm_epsilon")) ?? 1e-5,
            contextLength: try m.requireInt(key("context_length")))
        try validate(f.path)
    }
}
