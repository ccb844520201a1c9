import SluiceGraph

/// A model with random weights in the shape and quantization of a known one, for
/// benchmarks on machines where the real file can't be carried (`sluice bench --synthetic`).
public final class SyntheticSource: TensorSource {
    public let path: String
    let types: [String: (DType, [Int])]
    let seed: UInt64
    private var cache: [String: HostTensor] = [:]

    public static let shapes: [String: (config: TransformerConfig, layerType: DType, embeddingType: DType)] = [
        "smollm2-135m": (TransformerConfig(architecture: "llama", vocabSize: 49152, hidden: 576, layers: 30, heads: 9, kvHeads: 3,
                                           headDim: 64, ffn: 1536, ropeBase: 100000, ropeMode: "interleaved", normEps: 1e-5,
                                           contextLength: 8192), .q4_1, .q8_0),
        // TinyLlama-1.1B's shape in the K-quants of a Q4_K_M file (q4_k layers; q6_k, as
        // Q4_K_M stores the output matrix, for the embedding, which this shape ties to the head).
        "tinyllama-1.1b-q4k": (TransformerConfig(architecture: "llama", vocabSize: 32000, hidden: 2048, layers: 22, heads: 32, kvHeads: 4,
                                                 headDim: 64, ffn: 5632, ropeBase: 10000, ropeMode: "interleaved", normEps: 1e-5,
                                                 contextLength: 2048), .q4_k, .q6_k),
    ]

    public init(config c: TransformerConfig, layerType: DType, embeddingType: DType, seed: UInt64 = 1) {
        path = "synthetic \(c.architecture) (\(c.layers) layers, hidden \(c.hidden), \(layerType.rawValue))"
        self.seed = seed
        var t: [String: (DType, [Int])] = ["token_embd.weight": (embeddingType, [c.vocabSize, c.hidden]),
                                          "output_norm.weight": (.f32, [c.hidden])]
        let qd = c.heads * c.headDim, kvd = c.kvHeads * c.headDim
        for l in 0..<c.layers {
            let n = WeightNames.ggufLlama.layer(l)
            t[n.attnNorm] = (.f32, [c.hidden]); t[n.ffnNorm] = (.f32, [c.hidden])
            t[n.q] = (layerType, [qd, c.hidden]); t[n.k] = (layerType, [kvd, c.hidden]); t[n.v] = (layerType, [kvd, c.hidden])
            t[n.o] = (layerType, [c.hidden, qd])
            t[n.gate!] = (layerType, [c.ffn, c.hidden]); t[n.up] = (layerType, [c.ffn, c.hidden]); t[n.down] = (layerType, [c.hidden, c.ffn])
        }
        types = t
    }

    public func tensorType(_ name: String) -> (dtype: DType, shape: [Int])? { types[name].map { ($0.0, $0.1) } }

    public func hostTensor(_ name: String) throws -> HostTensor {
        if let t = cache[name] { return t }
        guard let (dt, shape) = types[name] else { throw ModelError.missingTensor(path, name) }
        // FNV-1a of the name: the same weights in every process (String.hashValue is seeded
        // per process).
        let nameHash = name.utf8.reduce(UInt64(0xcbf2_9ce4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
        var rng = SplitMix64(seed: seed &+ nameHash)
        let count = shape.reduce(1, *)
        let bytes: [UInt8]
        if dt == .f32 {
            bytes = Quantize.encode((0..<count).map { _ in 1 + 0.1 * rng.nextSignedUnit() }, as: .f32)
        } else {
            bytes = Quantize.randomBytes(dt, count: count, scale: 1 / Float(shape.last!).squareRoot(), rng: &rng)
        }
        let t = try HostTensor(dtype: dt, shape: shape, bytes: ByteBuffer(bytes))
        cache[name] = t
        return t
    }

    /// A loaded model over random weights (no tokenizer).
    public static func model(_ name: String) throws -> LoadedModel {
        guard let s = shapes[name] else {
            throw ModelError.unsupportedFormat("--synthetic \(name)", "unknown shape (known: \(shapes.keys.sorted().joined(separator: ", ")))")
        }
        return try model(config: s.config, layerType: s.layerType, embeddingType: s.embeddingType)
    }

    /// A loaded LLaMA-shaped model over random weights of any shape (no tokenizer).
    public static func model(config: TransformerConfig, layerType: DType, embeddingType: DType) throws -> LoadedModel {
        let s = (config: config, layerType: layerType, embeddingType: embeddingType)
        let src = SyntheticSource(config: s.config, layerType: s.layerType, embeddingType: s.embeddingType)
        let decoder = DecoderBuilder(config: s.config, source: src, names: .ggufLlama)
        let probe = try decoder.build(.decode)
        var weights: [String: HostTensor] = [:]
        for p in probe.params where p.kind == .weight { weights[p.name] = try src.hostTensor(p.name) }
        let bytes = weights.values.reduce(0) { $0 + ($1.dtype.byteCount(forElements: $1.elementCount) ?? 0) }
        return LoadedModel(path: src.path, config: s.config, weights: weights, tokenizer: nil, chatTemplate: nil,
                           fileBytes: bytes, graph: { try decoder.build($0) })
    }
}
