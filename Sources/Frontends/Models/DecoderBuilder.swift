import SluiceGraph

/// Which graph to build: prefill runs any number of rows (symbolic T) and returns the last
/// row's logits, decode runs one row, score returns every row's logits (perplexity).
public enum GraphStage: String, Sendable, CaseIterable {
    case prefill, decode, score
}

/// Builds the decomposed graph of a pre-norm decoder-only transformer (LLaMA / SmolLM2;
/// the GPT-2 variant uses LayerNorm, biases and learned positions). Weight parameters are
/// named by `names`, so every file format feeds the same builder.
public struct DecoderBuilder {
    public var config: TransformerConfig
    public var source: TensorSource
    public var names: WeightNames

    public init(config: TransformerConfig, source: TensorSource, names: WeightNames) {
        self.config = config; self.source = source; self.names = names
    }

    /// The graph for `stage` with a KV cache of `C` rows (symbol), sharing weight and state
    /// names across stages.
    public func build(_ stage: GraphStage) throws -> Graph {
        let c = config
        var b = GraphBuilder(name: "\(c.architecture)_\(stage.rawValue)")
        let rows: Dim = stage == .decode ? .fixed(1) : .symbol("T")
        let ids = b.param("tokens", TensorType(.i32, [rows]))
        func weight(_ name: String, _ shape: [Int]) throws -> String {
            guard let t = source.tensorType(name) else { throw ModelError.missingTensor(source.path, name) }
            guard t.shape == shape else {
                throw ModelError.badTensor(source.path, name, "shape \(t.shape), expected \(shape)")
            }
            if !b.graph.params.contains(where: { $0.name == name }) {
                b.param(name, TensorType(t.dtype, t.shape.map { .fixed($0) }), kind: .weight)
            }
            return name
        }
        func optionalWeight(_ name: String?, _ shape: [Int]) throws -> String? {
            guard let name, source.tensorType(name) != nil else { return nil }
            return try weight(name, shape)
        }
        let d = c.hidden, qd = c.heads * c.headDim, kvd = c.kvHeads * c.headDim
        var x = try b.op("embedding", [try weight(names.embedding, [c.vocabSize, d]), ids], name: "x")
        if let pos = names.positionEmbedding {
            let table = try weight(pos, [c.contextLength, d])
            let p = try b.op("positions", [ids], name: "pos")
            x = try b.op("add", [x, try b.op("embedding", [table, p], name: "pos_emb")], name: "x")
        }
        if let s = names.embeddingScale { x = try b.op("scale", [x], ["value": .float(s)], name: "x") }

        func norm(_ input: String, _ w: String, _ bias: String?, _ out: String) throws -> String {
            if c.norm == .layer, let bias {
                return try b.op("layer_norm", [input, w, bias], ["eps": .float(c.normEps)], name: out)
            }
            return try b.op("rms_norm", [input, w], ["eps": .float(c.normEps)], name: out)
        }
        func linear(_ input: String, _ w: String, _ shape: [Int], bias: String?, _ out: String) throws -> String {
            let y = try b.op("matmul", [input, try weight(w, shape)], name: out)
            guard let bn = try optionalWeight(bias, [shape[0]]) else { return y }
            return try b.op("add", [y, bn], name: out)
        }
        for l in 0..<c.layers {
            let n = names.layer(l)
            let p = "l\(l)."
            let h = try norm(x, try weight(n.attnNorm, [d]), try optionalWeight(n.attnNormBias, [d]), p + "attn_in")
            var q = try linear(h, n.q, [qd, d], bias: n.qBias, p + "q")
            var k = try linear(h, n.k, [kvd, d], bias: n.kBias, p + "k")
            let v = try linear(h, n.v, [kvd, d], bias: n.vBias, p + "v")
            if c.headNorms, let qn = n.qNorm, let kn = n.kNorm {
                // Each head's RMS norm: rows of head_dim values.
                func headNorm(_ x: String, _ w: String, _ heads: Int, _ out: String) throws -> String {
                    let r = try b.op("reshape", [x], ["shape": .ints([-1, heads, c.headDim])], name: out + "_heads")
                    let nrm = try b.op("rms_norm", [r, try weight(w, [c.headDim])], ["eps": .float(c.normEps)], name: out + "_normed")
                    return try b.op("reshape", [nrm], ["shape": .ints([-1, heads * c.headDim])], name: out)
                }
                q = try headNorm(q, qn, c.heads, p + "q_norm")
                k = try headNorm(k, kn, c.kvHeads, p + "k_norm")
            }
            let local = c.isLocal(l)
            if c.ropeBase > 0 && names.positionEmbedding == nil {
                let base = local ? c.localRopeBase ?? c.ropeBase : c.ropeBase
                let rope: Attributes = ["base": .float(base), "head_dim": .int(c.headDim), "mode": .string(c.ropeMode)]
                // Llama 3.1 / 3.2 files carry a frequency factor per pair (rope_freqs.weight).
                let factors = try optionalWeight(names.ropeFactors, [c.headDim / 2])
                let op = factors == nil ? "rope" : "rope_scaled"
                q = try b.op(op, [q] + (factors.map { [$0] } ?? []), rope.merging(["heads": .int(c.heads)]) { a, _ in a }, name: p + "q_rot")
                k = try b.op(op, [k] + (factors.map { [$0] } ?? []), rope.merging(["heads": .int(c.kvHeads)]) { a, _ in a }, name: p + "k_rot")
            }
            let kc = b.param("cache.k.\(l)", TensorType(.f32, [.symbol("C"), .fixed(kvd)]), kind: .state)
            let vc = b.param("cache.v.\(l)", TensorType(.f32, [.symbol("C"), .fixed(kvd)]), kind: .state)
            let kw = try b.op("kv_write", [kc, k], name: p + "k_cache")
            let vw = try b.op("kv_write", [vc, v], name: p + "v_cache")
            var attrs: Attributes = [
                "heads": .int(c.heads), "kv_heads": .int(c.kvHeads), "head_dim": .int(c.headDim),
                "scale": .float(c.attentionScale ?? 1 / Double(c.headDim).squareRoot()),
            ]
            if local { attrs["window"] = .int(c.slidingWindow) }
            let att = try b.op("attention", [q, kw, vw], attrs, name: p + "attn")
            var o = try linear(att, n.o, [d, qd], bias: n.oBias, p + "attn_out")
            if c.postNorms, let pn = n.postAttnNorm { o = try norm(o, try weight(pn, [d]), nil, p + "attn_post_norm") }
            x = try b.op("add", [x, o], name: p + "resid1")
            let h2 = try norm(x, try weight(n.ffnNorm, [d]), try optionalWeight(n.ffnNormBias, [d]), p + "ffn_in")
            let act: String
            if let gate = n.gate {
                let g = try linear(h2, gate, [c.ffn, d], bias: nil, p + "gate")
                let u = try linear(h2, n.up, [c.ffn, d], bias: nil, p + "up")
                let s = c.activation == .silu
                    ? try b.op("silu", [g], name: p + "gate_act")
                    : try b.op("gelu", [g], ["approx": .string(c.activation == .geluErf ? "erf" : "tanh")], name: p + "gate_act")
                act = try b.op("mul", [s, u], name: p + "ffn_act")
            } else {
                let u = try linear(h2, n.up, [c.ffn, d], bias: n.upBias, p + "up")
                let approx = c.activation == .geluErf ? "erf" : "tanh"
                act = try b.op("gelu", [u], ["approx": .string(approx)], name: p + "ffn_act")
            }
            var down = try linear(act, n.down, [d, c.ffn], bias: n.downBias, p + "down")
            if c.postNorms, let pn = n.postFfnNorm { down = try norm(down, try weight(pn, [d]), nil, p + "ffn_post_norm") }
            x = try b.op("add", [x, down], name: p + "resid2")
        }
        if stage == .prefill { x = try b.op("slice", [x], ["axis": .int(0), "start": .int(-1), "end": .int(0)], name: "last") }
        let fin = try norm(x, try weight(names.outputNorm, [d]), try optionalWeight(names.outputNormBias, [d]), "final_norm")
        let head = source.tensorType(names.output) != nil ? names.output : names.embedding
        let logits = try b.op("matmul", [fin, try weight(head, [c.vocabSize, d])], name: "logits")
        let next = try b.op("argmax", [logits], name: "next_token")
        b.output(logits, next)
        return b.graph
    }
}

/// The names of a model's weight tensors; GGUF's scheme by default.
public struct WeightNames: Sendable {
    public struct Layer: Sendable {
        public var attnNorm, q, k, v, o, ffnNorm, up, down: String
        public var gate: String?
        public var attnNormBias, ffnNormBias, qBias, kBias, vBias, oBias, upBias, downBias: String?
        /// Gemma 3's per-head query/key norms and post norms (TransformerConfig.headNorms, postNorms).
        public var qNorm, kNorm, postAttnNorm, postFfnNorm: String?
    }
    public var embedding: String
    public var positionEmbedding: String?
    public var embeddingScale: Double?
    /// RoPE frequency factors, one per pair, where the file has them (Llama 3.1 / 3.2).
    public var ropeFactors: String?
    public var outputNorm: String
    public var outputNormBias: String?
    public var output: String
    public var layer: @Sendable (Int) -> Layer

    /// GGUF's LLaMA-family names (`blk.N.attn_q.weight`, …).
    public static let ggufLlama = WeightNames(
        embedding: "token_embd.weight", ropeFactors: "rope_freqs.weight", outputNorm: "output_norm.weight", output: "output.weight",
        layer: { l in
            let p = "blk.\(l)."
            return Layer(attnNorm: p + "attn_norm.weight", q: p + "attn_q.weight", k: p + "attn_k.weight",
                         v: p + "attn_v.weight", o: p + "attn_output.weight", ffnNorm: p + "ffn_norm.weight",
                         up: p + "ffn_up.weight", down: p + "ffn_down.weight", gate: p + "ffn_gate.weight",
                         qBias: p + "attn_q.bias", kBias: p + "attn_k.bias", vBias: p + "attn_v.bias")
        })
}
