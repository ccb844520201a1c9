import SluiceGraph

/// Hugging Face `config.json` → `TransformerConfig` and weight names, per entry of
/// `architectures`. A new architecture is one entry of `HFArchitectures.all`.
public enum HFArchitectures {
    public typealias Mapping = @Sendable (_ config: JSONFile, _ weights: SafetensorsFolder) throws -> (TransformerConfig, WeightNames, TensorSource)

    public static let all: [String: Mapping] = [
        "LlamaForCausalLM": llama,
        "GPT2LMHeadModel": gpt2,
    ]

    static func llama(_ c: JSONFile, _ weights: SafetensorsFolder) throws -> (TransformerConfig, WeightNames, TensorSource) {
        let hidden = try c.requireInt("hidden_size"), heads = try c.requireInt("num_attention_heads")
        guard heads > 0 else { throw ModelError.badConfig(c.path, "num_attention_heads", "must be positive") }
        // transformers 5 moved rope_theta into rope_parameters; rope_scaling changes the frequencies.
        let rope = try c.object("rope_parameters") ?? c.object("rope_scaling")
        if let rope, let type = try rope.string("rope_type") ?? rope.string("type"), type != "default" {
            throw ModelError.badConfig(c.path, "rope type", "'\(type)' rotary scaling is not supported (supported: default)")
        }
        if try c.bool("attention_bias") == true || c.bool("mlp_bias") == true {
            throw ModelError.badConfig(c.path, "attention_bias", "LLaMA with projection biases is not supported")
        }
        let config = TransformerConfig(
            architecture: "llama", vocabSize: try c.requireInt("vocab_size"), hidden: hidden,
            layers: try c.requireInt("num_hidden_layers"), heads: heads,
            kvHeads: try c.int("num_key_value_heads") ?? heads,
            headDim: try c.int("head_dim") ?? hidden / heads,
            ffn: try c.requireInt("intermediate_size"),
            ropeBase: try rope?.double("rope_theta") ?? c.double("rope_theta") ?? 10000,
            ropeMode: "half",
            normEps: try c.double("rms_norm_eps") ?? 1e-6,
            contextLength: try c.int("max_position_embeddings") ?? 2048)
        let names = WeightNames(
            embedding: "model.embed_tokens.weight", outputNorm: "model.norm.weight", output: "lm_head.weight",
            layer: { l in
                let p = "model.layers.\(l)."
                return .init(attnNorm: p + "input_layernorm.weight", q: p + "self_attn.q_proj.weight",
                             k: p + "self_attn.k_proj.weight", v: p + "self_attn.v_proj.weight",
                             o: p + "self_attn.o_proj.weight", ffnNorm: p + "post_attention_layernorm.weight",
                             up: p + "mlp.up_proj.weight", down: p + "mlp.down_proj.weight", gate: p + "mlp.gate_proj.weight")
            })
        if try c.bool("tie_word_embeddings") == false, weights.tensorType("lm_head.weight") == nil {
            throw ModelError.missingTensor(weights.path, "lm_head.weight")
        }
        return (config, names, weights)
    }

    static func gpt2(_ c: JSONFile, _ weights: SafetensorsFolder) throws -> (TransformerConfig, WeightNames, TensorSource) {
        let d = try c.requireInt("n_embd"), heads = try c.requireInt("n_head")
        guard heads > 0, d > 0 else { throw ModelError.badConfig(c.path, "n_head", "must be positive") }
        let act = try c.string("activation_function") ?? "gelu_new"
        let activation: TransformerConfig.Activation
        switch act {
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": activation = .geluTanh
        case "gelu": activation = .geluErf
        default: throw ModelError.badConfig(c.path, "activation_function", "'\(act)' is not supported (supported: gelu_new, gelu_pytorch_tanh, gelu)")
        }
        if try c.bool("scale_attn_by_inverse_layer_idx") == true || c.bool("reorder_and_upcast_attn") == true {
            throw ModelError.badConfig(c.path, "scale_attn_by_inverse_layer_idx", "attention scaling variants are not supported")
        }
        var config = TransformerConfig(
            architecture: "gpt2", vocabSize: try c.requireInt("vocab_size"), hidden: d,
            layers: try c.requireInt("n_layer"), heads: heads, kvHeads: heads, headDim: d / heads,
            ffn: try c.int("n_inner") ?? 4 * d, ropeBase: 10000, ropeMode: "none",
            normEps: try c.double("layer_norm_epsilon") ?? 1e-5,
            contextLength: try c.int("n_positions") ?? c.int("n_ctx") ?? 1024)
        config.norm = .layer
        config.activation = activation
        // The original checkpoints name tensors without the "transformer." prefix.
        let p = weights.tensorType("transformer.wte.weight") != nil ? "transformer." : ""
        let derived = DerivedSource(base: weights)
        let ffn = config.ffn
        for l in 0..<config.layers {
            let h = "\(p)h.\(l)."
            for (i, part) in ["q", "k", "v"].enumerated() {
                derived.rules["\(h)attn.\(part).weight"] = .transposedRows(h + "attn.c_attn.weight", (i * d)..<((i + 1) * d))
                derived.rules["\(h)attn.\(part).bias"] = .rows(h + "attn.c_attn.bias", (i * d)..<((i + 1) * d))
            }
            derived.rules[h + "attn.o.weight"] = .transposedRows(h + "attn.c_proj.weight", 0..<d)
            derived.rules[h + "mlp.up.weight"] = .transposedRows(h + "mlp.c_fc.weight", 0..<ffn)
            derived.rules[h + "mlp.down.weight"] = .transposedRows(h + "mlp.c_proj.weight", 0..<d)
        }
        let names = WeightNames(
            embedding: p + "wte.weight", positionEmbedding: p + "wpe.weight",
            outputNorm: p + "ln_f.weight", outputNormBias: p + "ln_f.bias", output: "lm_head.weight",
            layer: { l in
                let h = "\(p)h.\(l)."
                return .init(attnNorm: h + "ln_1.weight", q: h + "attn.q.weight", k: h + "attn.k.weight",
                             v: h + "attn.v.weight", o: h + "attn.o.weight", ffnNorm: h + "ln_2.weight",
                             up: h + "mlp.up.weight", down: h + "mlp.down.weight", gate: nil,
                             attnNormBias: h + "ln_1.bias", ffnNormBias: h + "ln_2.bias",
                             qBias: h + "attn.q.bias", kBias: h + "attn.k.bias", vBias: h + "attn.v.bias",
                             oBias: h + "attn.c_proj.bias", upBias: h + "mlp.c_fc.bias", downBias: h + "mlp.c_proj.bias")
            })
        return (config, names, derived)
    }
}
