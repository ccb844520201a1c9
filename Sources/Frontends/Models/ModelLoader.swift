import SluiceGraph

/// A model ready to run: its graphs, its weights (backed by the file mapping) and its
/// tokenizer when the file has one.
public struct LoadedModel {
    public var path: String
    public var config: TransformerConfig
    public var weights: [String: HostTensor]
    public var tokenizer: Tokenizer?
    public var chatTemplate: String?
    public var fileBytes: Int
    /// Builds the graph for a stage; every stage shares weight and state names.
    public var graph: (GraphStage) throws -> Graph

    public var parameterCount: Int { weights.values.reduce(0) { $0 + $1.elementCount } }
}

/// `general.architecture` → how to build that architecture's graphs. A new architecture is
/// one entry.
public enum ModelLoader {
    public typealias Builder = @Sendable (GGUFFile) throws -> (TransformerConfig, WeightNames)

    public static let architectures: [String: Builder] = [
        "llama": { f in (try TransformerConfig(gguf: f), .ggufLlama) },
    ]

    /// Loads a GGUF file: validates its metadata, maps its tensors (no copy) and builds the tokenizer.
    public static func load(path: String) throws -> LoadedModel {
        let f = try GGUFFile(path: path)
        let arch = try f.metadata.requireString("general.architecture")
        guard let builder = architectures[arch] else {
            throw ModelError.unsupportedArchitecture(path, arch, architectures.keys.sorted())
        }
        let (config, names) = try builder(f)
        let decoder = DecoderBuilder(config: config, source: f, names: names)
        // Check the whole graph (and so every tensor's presence and shape) up front.
        let probe = try decoder.build(.decode)
        try Verifier.verify(probe)
        var weights: [String: HostTensor] = [:]
        for p in probe.params where p.kind == .weight { weights[p.name] = try f.hostTensor(p.name) }
        let tokenizer = f.metadata["tokenizer.ggml.model"] == nil ? nil : try Tokenizer(gguf: f.metadata)
        return LoadedModel(path: path, config: config, weights: weights, tokenizer: tokenizer,
                           chatTemplate: try f.metadata.string("tokenizer.chat_template"),
                           fileBytes: f.mappedFile.bytes.count, graph: { try decoder.build($0) })
    }
}
