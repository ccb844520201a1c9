import SluiceGraph

extension ModelLoader {
    /// Qwen 2 / 2.5 in GGUF: LLaMA's layout and names with Q/K/V biases (optional weights the
    /// builder already reads), RoPE dims paired NeoX-style (llama.cpp's rope type for it), the
    /// embedding tied to the head where the file has no `output.weight`.
    static func ggufQwen2(_ f: GGUFFile) throws -> (TransformerConfig, WeightNames, TensorSource) {
        var c = try TransformerConfig(gguf: f)
        c.ropeMode = "half"
        try c.validate(f.path)
        return (c, .ggufLlama, f)
    }

    /// Qwen 3 (dense) in GGUF: Qwen 2 without the biases and with an RMS norm of every query
    /// and key head before RoPE (`attn_q_norm` / `attn_k_norm`); its head size
    /// (`qwen3.attention.key_length`) need not be hidden / heads.
    static func ggufQwen3(_ f: GGUFFile) throws -> (TransformerConfig, WeightNames, TensorSource) {
        var c = try TransformerConfig(gguf: f)
        c.ropeMode = "half"
        c.headNorms = true
        try c.validate(f.path)
        let llama = WeightNames.ggufLlama
        var names = llama
        names.layer = { l in
            var n = llama.layer(l)
            n.qNorm = "blk.\(l).attn_q_norm.weight"
            n.kNorm = "blk.\(l).attn_k_norm.weight"
            return n
        }
        return (c, names, f)
    }
}
