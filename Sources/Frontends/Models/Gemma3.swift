import Foundation
import SluiceGraph

extension ModelLoader {
    /// Gemma 3 in GGUF (llama.cpp's converter, which has already added Gemma's 1 to every norm
    /// weight): the embedding scaled by sqrt(hidden), an RMS norm of every query and key head,
    /// norms of the attention and feed-forward outputs before their residual adds, GeGLU
    /// (tanh GELU), NeoX-style RoPE, and sliding-window attention on five layers of every six
    /// (`gemma3.attention.sliding_window` positions, RoPE base 10,000 there), as llama.cpp
    /// runs it. The LM head is the embedding unless the file has `output.weight`.
    static func ggufGemma3(_ f: GGUFFile) throws -> (TransformerConfig, WeightNames, TensorSource) {
        let m = f.metadata
        var c = try TransformerConfig(gguf: f)
        c.ropeMode = "half"
        c.activation = .geluTanh
        c.headNorms = true
        c.postNorms = true
        // The score scale: 1/sqrt(head dim), except the 27B model's (62 layers)
        // 1/sqrt(hidden / heads) (llama.cpp, after gemma_pytorch's config).
        c.attentionScale = 1 / Double(c.layers == 62 ? c.hidden / c.heads : c.headDim).squareRoot()
        c.slidingWindow = try m.int("gemma3.attention.sliding_window") ?? 0
        c.slidingPattern = 6
        c.localRopeBase = 10000
        if let cap = try m.float("gemma3.final_logit_softcapping"), cap > 0 {
            throw ModelError.badConfig(f.path, "gemma3.final_logit_softcapping", "\(cap): logit soft-capping is not supported")
        }
        if let type = try m.string("gemma3.rope.scaling.type"), type != "none" {
            let factor = try m.float("gemma3.rope.scaling.factor") ?? 1
            if factor != 1 {
                throw ModelError.badConfig(f.path, "gemma3.rope.scaling.type",
                                           "\(type) RoPE scaling (factor \(factor)) is not supported (Gemma 3 270M and 1B have none)")
            }
        }
        try c.validate(f.path)
        let llama = WeightNames.ggufLlama
        var names = llama
        names.embeddingScale = Double(c.hidden).squareRoot()
        names.layer = { l in
            var n = llama.layer(l)
            let p = "blk.\(l)."
            n.qNorm = p + "attn_q_norm.weight"
            n.kNorm = p + "attn_k_norm.weight"
            n.postAttnNorm = p + "post_attention_norm.weight"
            n.postFfnNorm = p + "post_ffw_norm.weight"
            return n
        }
        return (c, names, f)
    }
}
