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

extension ModelLoader {
    /// GPT-2 in GGUF (llama.cpp's converter): LayerNorm with biases, tanh GELU, learned
    /// positions (`position_embd.weight`), one fused `attn_qkv` matrix and bias per layer
    /// (split here into row views of the mapping, so the passes see three projections).
    static func ggufGPT2(_ f: GGUFFile) throws -> (TransformerConfig, WeightNames, TensorSource) {
        var config = try TransformerConfig(gguf: f)
        config.norm = .layer
        config.activation = .geluTanh
        config.ropeMode = "none"
        try config.validate(f.path)
        let d = config.hidden
        let derived = DerivedSource(base: f)
        for l in 0..<config.layers {
            let p = "blk.\(l)."
            for (i, part) in ["q", "k", "v"].enumerated() {
                derived.rules[p + "attn_\(part).weight"] = .rows(p + "attn_qkv.weight", (i * d)..<((i + 1) * d))
                derived.rules[p + "attn_\(part).bias"] = .rows(p + "attn_qkv.bias", (i * d)..<((i + 1) * d))
            }
        }
        let names = WeightNames(
            embedding: "token_embd.weight", positionEmbedding: "position_embd.weight",
            outputNorm: "output_norm.weight", outputNormBias: "output_norm.bias", output: "output.weight",
            layer: { l in
                let p = "blk.\(l)."
                return .init(attnNorm: p + "attn_norm.weight", q: p + "attn_q.weight", k: p + "attn_k.weight",
                             v: p + "attn_v.weight", o: p + "attn_output.weight", ffnNorm: p + "ffn_norm.weight",
                             up: p + "ffn_up.weight", down: p + "ffn_down.weight", gate: nil,
                             attnNormBias: p + "attn_norm.bias", ffnNormBias: p + "ffn_norm.bias",
                             qBias: p + "attn_q.bias", kBias: p + "attn_k.bias", vBias: p + "attn_v.bias",
                             oBias: p + "attn_output.bias", upBias: p + "ffn_up.bias", downBias: p + "ffn_down.bias")
            })
        return (config, names, derived)
    }
}
