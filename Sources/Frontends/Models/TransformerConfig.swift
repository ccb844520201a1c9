import SluiceGraph

/// The hyperparameters a decoder-only transformer builder needs, independent of the file
/// format they came from (GGUF metadata, config.json, ONNX initializers).
public struct TransformerConfig: Sendable, Equatable {
    public enum Norm: String, Sendable { case rms, layer }
    public enum Activation: String, Sendable { case silu, geluTanh, geluErf }

    public var architecture: String
    public var vocabSize: Int
    public var hidden: Int
    public var layers: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    public var ffn: Int
    public var ropeBase: Double
    /// Rotary pairing: "interleaved" for GGUF LLaMA files, "half" for NeoX-style and HF
    /// checkpoints; unused by models with learned positions (GPT-2).
    public var ropeMode: String
    public var normEps: Double
    public var contextLength: Int
    public var norm: Norm = .rms
    /// The feed-forward activation: of the gate where the model has one (SiLU: SwiGLU; a
    /// GELU: GeGLU), else of the up projection.
    public var activation: Activation = .silu
    /// Gemma 3's extras: an RMS norm of every query and key head (weights attn_q_norm /
    /// attn_k_norm, before RoPE), RMS norms of the attention and feed-forward outputs before
    /// their residual adds (post_attention_norm / post_ffw_norm).
    public var headNorms = false
    public var postNorms = false
    /// The attention's score scale; nil: 1/sqrt(head dim).
    public var attentionScale: Double?
    /// Sliding-window attention: layer l attends to the last `slidingWindow` positions when
    /// l % slidingPattern < slidingPattern − 1 (Gemma 3: five local layers, then a global
    /// one), with RoPE base `localRopeBase` there. 0: every layer global.
    public var slidingWindow = 0
    public var slidingPattern = 1
    public var localRopeBase: Double?

    /// Whether layer `l` attends through the sliding window.
    public func isLocal(_ l: Int) -> Bool {
        slidingWindow > 0 && slidingPattern > 0 && l % slidingPattern < slidingPattern - 1
    }

    /// Checks the numbers are usable and bounded before any graph or buffer is sized from them.
    public func validate(_ source: String) throws {
        func need(_ ok: Bool, _ field: String, _ why: String) throws {
            if !ok { throw ModelError.badConfig(source, field, why) }
        }
        try need((1...4_000_000).contains(vocabSize), "vocab size", "\(vocabSize) is out of range")
        try need((1...65536).contains(hidden), "hidden size", "\(hidden) is out of range")
        try need((1...1024).contains(layers), "layer count", "\(layers) is out of range")
        try need((1...1024).contains(heads), "head count", "\(heads) is out of range")
        try need(kvHeads >= 1 && heads % kvHeads == 0, "KV head count", "\(kvHeads) does not divide \(heads) heads")
        try need((2...1024).contains(headDim) && headDim % 2 == 0, "head dim", "\(headDim) must be even and at most 1024")
        try need((1...1_000_000).contains(ffn), "feed-forward size", "\(ffn) is out of range")
        try need(ropeBase > 0 && ropeBase.isFinite, "rope base", "\(ropeBase) must be positive")
        try need(normEps >= 0 && normEps < 1, "norm epsilon", "\(normEps) is out of range")
        try need((1...10_000_000).contains(contextLength), "context length", "\(contextLength) is out of range")
        try need((0...10_000_000).contains(slidingWindow), "sliding window", "\(slidingWindow) is out of range")
        try need((1...1024).contains(slidingPattern), "sliding window pattern", "\(slidingPattern) is out of range")
        if let a = attentionScale { try need(a > 0 && a.isFinite, "attention scale", "\(a) must be positive") }
        if let r = localRopeBase { try need(r > 0 && r.isFinite, "local rope base", "\(r) must be positive") }
    }
}

/// Errors loading a model: each names the file, the field and why.
public enum ModelError: Error, CustomStringConvertible {
    case badConfig(String, String, String)
    case missingTensor(String, String)
    case badTensor(String, String, String)
    case unsupportedArchitecture(String, String, [String])
    case unsupportedFormat(String, String)

    public var description: String {
        switch self {
        case .badConfig(let f, let field, let why): return "\(f): \(field): \(why)"
        case .missingTensor(let f, let t): return "\(f): tensor '\(t)' is missing"
        case .badTensor(let f, let t, let why): return "\(f): tensor '\(t)': \(why)"
        case .unsupportedArchitecture(let f, let a, let known):
            return "\(f): architecture '\(a)' is not supported (supported: \(known.joined(separator: ", ")))"
        case .unsupportedFormat(let f, let why): return "\(f): \(why)"
        }
    }
}

/// Named weight tensors of a model file, without copying their data.
public protocol TensorSource: AnyObject {
    var path: String { get }
    /// dtype and row-major shape of a tensor, or nil when absent.
    func tensorType(_ name: String) -> (dtype: DType, shape: [Int])?
    /// The tensor's bytes as a host tensor backed by the file mapping.
    func hostTensor(_ name: String) throws -> HostTensor
}
