import Foundation
import SluiceGraph

/// Imports a decoder-only language model exported to ONNX (PyTorch's TorchScript and dynamo
/// exporters, with or without `past_key_values`) into the same graph a GGUF model builds.
///
/// How: every value is first given a shape at probe sizes (batch 1, `probeT` new tokens, an
/// empty past), and everything that does not depend on the token ids or the cache contents
/// is folded to numbers: shape arithmetic, causal masks, rotary tables, position ids. The
/// remaining nodes are then lowered from the logits backwards, node by node, into Sluice
/// ops; decomposed idioms are raised on the way (ONNXRaising.swift): RMSNorm/LayerNorm
/// written out as ReduceMean/Pow/Sqrt/Div, SiLU and GELU as elementwise formulas, rotary
/// embeddings as Slice/Neg/Concat/Mul/Add, attention as MatMul/Softmax/mask with the cache
/// concatenation and grouped-query repeats. Formulas are recognized by evaluating them,
/// not by their spelling, and checked against the Sluice op they become. Every node that
/// the logits depend on must be accounted for, or the import fails naming it.
public final class ONNXImporter {
    public let model: ONNXModel
    static let probeT = 7
    var values: [String: ONNXValue] = [:]
    var producers: [String: Int] = [:]
    /// Input roles.
    var tokens = ""
    var pastInputs: Set<String> = []
    var logitsOutput = ""

    /// Filled by the first build: sizes for the KV cache, bench and the CLI.
    public private(set) var config: TransformerConfig!
    public private(set) var weights: [String: HostTensor] = [:]

    public static let minOpset = 13, maxOpset = 21

    public init(model: ONNXModel) throws {
        self.model = model
        let opset = model.opsets[""] ?? model.opsets["ai.onnx"] ?? 0
        guard (Self.minOpset...Self.maxOpset).contains(opset) else {
            throw ONNXError(model.path, "opset_import", "default-domain opset \(opset) is outside \(Self.minOpset)–\(Self.maxOpset)")
        }
        for (i, n) in model.nodes.enumerated() {
            guard n.domain.isEmpty || n.domain == "ai.onnx", ONNXEvaluator.supported.contains(n.opType) else {
                throw ONNXError(model.path, "node '\(n.name)'",
                    "operator \(n.domain.isEmpty ? "" : n.domain + ".")\(n.opType) (opset \(opset)) is not supported; supported: \(ONNXEvaluator.supported.sorted().joined(separator: ", "))")
            }
            for o in n.outputs where !o.isEmpty { producers[o] = i }
        }
        try bindInputs()
        do {
            for n in model.nodes {
                let outs = try ONNXEvaluator.evaluate(n, n.inputs.map { $0.isEmpty ? nil : values[$0] })
                for (name, v) in zip(n.outputs, outs) where !name.isEmpty { values[name] = v }
            }
        } catch let e as ONNXImportError { throw ONNXError(model.path, "graph", e.description) }
        guard let out = model.outputs.first(where: { $0.name == "logits" }) ?? model.outputs.first else {
            throw ONNXError(model.path, "graph.output", "the graph has no outputs")
        }
        logitsOutput = out.name
        // Build once to check the whole graph and learn the model's sizes.
        _ = try build(.decode)
    }

    /// Gives each graph input a role and a probe value: token ids (unknown), past keys and
    /// values (unknown, empty), the attention mask (all ones) and position ids (0..<T).
    func bindInputs() throws {
        let t = Self.probeT
        for i in model.inputs where model.initializers[i.name] == nil {
            let name = i.name.lowercased()
            if name.contains("past") {
                guard i.dims.count == 4, case .value(let h) = i.dims[1], case .value(let d) = i.dims[3] else {
                    throw ONNXError(model.path, "input '\(i.name)'", "past keys/values must be [batch, kv_heads, past, head_dim] with fixed heads and head_dim")
                }
                values[i.name] = ONNXValue(shape: [1, h, 0, d], kind: .float, data: nil)
                pastInputs.insert(i.name)
            } else if name.contains("attention_mask") {
                values[i.name] = ONNXValue(shape: [1, t], kind: .int, data: Array(repeating: 1, count: t))
            } else if name.contains("position") {
                values[i.name] = ONNXValue(shape: [1, t], kind: .int, data: (0..<t).map(Double.init))
            } else if name.contains("input_ids") || (tokens.isEmpty && [6, 7].contains(i.elementType)) {
                tokens = i.name
                values[i.name] = ONNXValue(shape: i.dims.count == 1 ? [t] : [1, t], kind: .int, data: nil)
            } else {
                throw ONNXError(model.path, "input '\(i.name)'", "is not one of input_ids, attention_mask, position_ids, past_key_values.*")
            }
        }
        guard !tokens.isEmpty else { throw ONNXError(model.path, "graph.input", "no token-id input (input_ids)") }
        for (name, t) in model.initializers {
            // Matrices are weights, never folded; vectors, tables of rotary frequencies and
            // mask buffers are.
            let matrix = t.dims.count == 2 && t.dims.min()! > 1
            let small = !matrix && t.count <= 1 << 22
            values[name] = ONNXValue(shape: t.dims, kind: t.type.isFloat ? .float : (t.type == .bool ? .bool : .int),
                                     data: small ? t.floats().map(Double.init) : nil, initializer: name)
        }
    }

    /// The Sluice graph for a stage; weights are collected into `weights`.
    public func build(_ stage: GraphStage) throws -> Graph {
        var lowering = ONNXLowering(importer: self, stage: stage)
        do {
            let g = try lowering.run()
            weights.merge(lowering.weights) { a, _ in a }
            if config == nil { config = try lowering.config() }
            return g
        } catch let e as ONNXImportError {
            throw ONNXError(model.path, "graph", e.description)
        }
    }

    func node(producing v: String) -> ONNXNode? { producers[v].map { model.nodes[$0] } }
}
