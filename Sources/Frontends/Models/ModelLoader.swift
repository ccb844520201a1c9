import Foundation
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
    public typealias Builder = @Sendable (GGUFFile) throws -> (TransformerConfig, WeightNames, TensorSource)

    public static let architectures: [String: Builder] = [
        "llama": { f in (try TransformerConfig(gguf: f), .ggufLlama, f) },
        "gpt2": ggufGPT2,
        "gemma3": ggufGemma3,
        "qwen2": ggufQwen2,
        "qwen3": ggufQwen3,
    ]

    /// Loads a model from a `.gguf` file, a Hugging Face folder (config.json + safetensors)
    /// or an `.onnx` file.
    public static func load(path: String) throws -> LoadedModel {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelError.unsupportedFormat(path, "no such file or folder")
        }
        if isDirectory.boolValue { return try loadFolder(path: path) }
        if path.lowercased().hasSuffix(".onnx") { return try loadONNX(path: path) }
        return try loadGGUF(path: path)
    }

    /// Loads a GGUF file: validates its metadata, maps its tensors (no copy) and builds the tokenizer.
    public static func loadGGUF(path: String) throws -> LoadedModel {
        let f = try GGUFFile(path: path)
        let arch = try f.metadata.requireString("general.architecture")
        guard let builder = architectures[arch] else {
            throw ModelError.unsupportedArchitecture(path, arch, architectures.keys.sorted())
        }
        let (config, names, source) = try builder(f)
        let tokenizer = f.metadata["tokenizer.ggml.model"] == nil ? nil : try Tokenizer(gguf: f.metadata)
        return try assemble(path: path, config: config, names: names, source: source, tokenizer: tokenizer,
                            chatTemplate: try f.metadata.string("tokenizer.chat_template"),
                            fileBytes: f.mappedFile.bytes.count)
    }

    /// Loads a Hugging Face model folder: `config.json` picks the architecture
    /// (`HFArchitectures`), safetensors hold the weights, `tokenizer.json` (optional) the
    /// tokenizer and `tokenizer_config.json` (optional) the chat template.
    public static func loadFolder(path: String) throws -> LoadedModel {
        let configPath = path + "/config.json"
        guard FileManager.default.fileExists(atPath: configPath) else {
            throw ModelError.unsupportedFormat(path, "a model folder needs a config.json")
        }
        let config = try JSONFile(path: configPath)
        guard let arch = (config.root["architectures"] as? [String])?.first else {
            throw ModelError.badConfig(configPath, "architectures", "is missing")
        }
        guard let mapping = HFArchitectures.all[arch] else {
            throw ModelError.unsupportedArchitecture(configPath, arch, HFArchitectures.all.keys.sorted())
        }
        let weights = try SafetensorsFolder(folder: path)
        let (cfg, names, source) = try mapping(config, weights)
        let (tokenizer, template) = try folderTokenizer(path, config: config)
        return try assemble(path: path, config: cfg, names: names, source: source, tokenizer: tokenizer,
                            chatTemplate: template, fileBytes: weights.byteCount)
    }

    /// The tokenizer of a model folder: `tokenizer.json` (optional), special ids from
    /// `config.json`, BOS and the chat template from `tokenizer_config.json`.
    static func folderTokenizer(_ folder: String, config: JSONFile?) throws -> (Tokenizer?, String?) {
        let tokenizerConfig = try optionalJSON(folder + "/tokenizer_config.json")
        guard let json = try optionalJSON(folder + "/tokenizer.json") else { return (nil, try tokenizerConfig?.string("chat_template")) }
        func id(_ key: String) throws -> Int32? {
            let v = config?.root[key].map { ($0 as? [Any])?.first ?? $0 }
            guard let v, !(v is NSNull) else { return nil }
            guard let n = (v as? NSNumber)?.intValue, let i = Int32(exactly: n) else {
                throw ModelError.badConfig(config!.path, key, "\(v) is not a token id")
            }
            return i
        }
        let tokenizer = try Tokenizer(json: json, bosID: try id("bos_token_id"), eosID: try id("eos_token_id"),
                                      addBOS: try tokenizerConfig?.bool("add_bos_token") ?? false)
        return (tokenizer, try tokenizerConfig?.string("chat_template"))
    }

    /// Loads an ONNX export of a decoder-only model (see `ONNXImporter`); a tokenizer.json
    /// (and config.json for special ids) beside the file is used when present.
    public static func loadONNX(path: String) throws -> LoadedModel {
        let model = try ONNXModel(path: path)
        let importer = try ONNXImporter(model: model)
        let config = importer.config!
        try config.validate(path)
        let folder = (path as NSString).deletingLastPathComponent
        let dir = folder.isEmpty ? "." : folder
        let (tokenizer, template) = try folderTokenizer(dir, config: try optionalJSON(dir + "/config.json"))
        return LoadedModel(path: path, config: config, weights: importer.weights, tokenizer: tokenizer,
                           chatTemplate: template, fileBytes: model.fileBytes, graph: { try importer.build($0) })
    }

    static func optionalJSON(_ path: String) throws -> JSONFile? {
        FileManager.default.fileExists(atPath: path) ? try JSONFile(path: path) : nil
    }

    /// Checks the whole graph (every tensor's presence and shape) up front and maps the weights.
    static func assemble(path: String, config: TransformerConfig, names: WeightNames, source: TensorSource,
                         tokenizer: Tokenizer?, chatTemplate: String?, fileBytes: Int) throws -> LoadedModel {
        try config.validate(path)
        if let tokenizer, tokenizer.tokens.count > config.vocabSize {
            throw ModelError.badConfig(path, "vocab size", "the tokenizer has \(tokenizer.tokens.count) tokens, the model \(config.vocabSize)")
        }
        let source = VectorsAsFloat32(base: source)
        let decoder = DecoderBuilder(config: config, source: source, names: names)
        let probe = try decoder.build(.decode)
        try Verifier.verify(probe)
        var weights: [String: HostTensor] = [:]
        for p in probe.params where p.kind == .weight { weights[p.name] = try source.hostTensor(p.name) }
        return LoadedModel(path: path, config: config, weights: weights, tokenizer: tokenizer,
                           chatTemplate: chatTemplate, fileBytes: fileBytes, graph: { try decoder.build($0) })
    }
}
