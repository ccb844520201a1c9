import Foundation
import SluiceGraph

/// One lowering of an imported ONNX graph into a Sluice graph for one stage: values are
/// lowered on demand from the logits backwards (memoized), each ONNX value becoming a Sluice
/// value plus the layout the ONNX view has of it.
struct ONNXLowering {
    /// How an ONNX value views its Sluice value (always [rows, features] row-major):
    /// `rows` [1, T, F]; `heads` [1, T, H, D]; `headsT` [1, H, T, D]; `keysT` [1, H, D, T];
    /// `grouped` [1, H, n, T, D] (a grouped-query repeat being built).
    enum Layout: Equatable {
        case rows, heads(Int, Int), headsT(Int, Int), keysT(Int, Int), grouped(Int, Int, Int)
    }
    struct Lowered {
        var ir: String
        var layout: Layout
        /// Heads actually stored (fewer than the layout's when keys/values are repeated).
        var storedHeads: Int = 0
    }

    let imp: ONNXImporter
    let stage: GraphStage
    var b = GraphBuilder(name: "onnx")
    var weights: [String: HostTensor] = [:]
    var memo: [String: Lowered] = [:]
    var claimed: Set<Int> = []
    var tokensIR = ""
    var pendingSlice: Bool
    // What the graph turned out to hold (for TransformerConfig).
    var layers = 0
    var attentionShape: (heads: Int, kvHeads: Int, headDim: Int)?
    var vocab = 0, hidden = 0, contextLength = 0
    var linearOutputs: [Int] = []
    var normKind: TransformerConfig.Norm?, normEps: Double?, ropeBase: Double?
    var activation: TransformerConfig.Activation?

    init(importer: ONNXImporter, stage: GraphStage) {
        imp = importer; self.stage = stage; pendingSlice = stage == .prefill
        b = GraphBuilder(name: "onnx_\(stage.rawValue)")
    }

    static func fail(_ s: String) -> ONNXImportError { ONNXImportError(s) }

    mutating func run() throws -> Graph {
        let rows: Dim = stage == .decode ? .fixed(1) : .symbol("T")
        tokensIR = b.param("tokens", TensorType(.i32, [rows]))
        var logits = try self.rows(imp.logitsOutput)
        if pendingSlice { logits = try slice(logits) }
        let next = try b.op("argmax", [logits], name: "next_token")
        b.output(logits, next)
        try checkCoverage()
        return Self.renaming(b.graph, logits, to: "logits")
    }

    /// `g` with value `old` called `new` (the runners read the outputs "logits" and "next_token").
    static func renaming(_ g: Graph, _ old: String, to new: String) -> Graph {
        var g = g
        func r(_ s: String) -> String { s == old ? new : s }
        for i in g.nodes.indices {
            g.nodes[i].inputs = g.nodes[i].inputs.map(r)
            for j in g.nodes[i].outputs.indices { g.nodes[i].outputs[j].name = r(g.nodes[i].outputs[j].name) }
        }
        g.outputs = g.outputs.map(r)
        return g
    }

    mutating func slice(_ v: String) throws -> String {
        try b.op("slice", [v], ["axis": .int(0), "start": .int(-1), "end": .int(0)], name: "last")
    }

    // MARK: - values

    func value(_ name: String) throws -> ONNXValue {
        guard let v = imp.values[name] else { throw Self.fail("value '\(name)' is not defined") }
        return v
    }

    /// Known at import time: folded numbers or an initializer.
    func isConstant(_ name: String) -> Bool {
        guard let v = imp.values[name] else { return false }
        return v.isKnown || v.initializer != nil
    }

    /// The numbers of a constant (initializers are read from the file).
    func numbers(_ name: String) throws -> [Double] {
        let v = try value(name)
        if let d = v.data { return d }
        if let i = v.initializer, let t = imp.model.initializers[i] { return t.floats().map(Double.init) }
        throw Self.fail("value '\(name)' is not known when the graph is imported")
    }

    mutating func producer(_ name: String) throws -> (Int, ONNXNode) {
        guard let i = imp.producers[name] else { throw Self.fail("graph input '\(name)' cannot be used here") }
        return (i, imp.model.nodes[i])
    }

    func label(_ n: ONNXNode) -> String { "node '\(n.name)' (\(n.opType))" }

    mutating func rows(_ name: String) throws -> String {
        let l = try lower(name)
        guard l.layout == .rows else { throw Self.fail("value '\(name)' is used as rows of a matrix but is \(l.layout)") }
        return l.ir
    }

    // MARK: - lowering

    mutating func lower(_ name: String) throws -> Lowered {
        if let m = memo[name] { return m }
        guard !isConstant(name) else { throw Self.fail("value '\(name)' is a constant where a computed value was expected") }
        let (index, n) = try producer(name)
        claimed.insert(index)
        let result: Lowered
        switch n.opType {
        case "Gather": result = try gather(n)
        case "MatMul", "Gemm":
            if let w = try weightSource(n) { result = try linear(n, w, columns: nil) } else { result = try attention(n) }
        case "Reshape", "Squeeze", "Unsqueeze", "Flatten", "Identity", "Expand": result = try view(n, name)
        case "Cast":
            guard try value(name).kind == .float else { throw Self.fail("\(label(n)) casts a computed value to integers") }
            result = try lower(n.inputs[0])
        case "Transpose": result = try transpose(n, name)
        case "Split": result = try split(n, name)
        case "Concat": result = try concat(n)
        case "LayerNormalization": result = try layerNormalization(n)
        default: result = try elementwise(n, name)
        }
        memo[name] = result
        return result
    }

    /// Token ids (possibly reshaped or cast) feeding an embedding lookup.
    func isTokens(_ name: String) -> Bool {
        if name == imp.tokens { return true }
        guard let n = imp.node(producing: name), ["Reshape", "Cast", "Squeeze", "Unsqueeze", "Flatten", "Identity"].contains(n.opType) else { return false }
        return isTokens(n.inputs[0])
    }

    mutating func gather(_ n: ONNXNode) throws -> Lowered {
        guard (n.int("axis") ?? 0) == 0, let table = try value(n.inputs[0]).initializer, let t = imp.model.initializers[table], t.dims.count == 2 else {
            throw Self.fail("\(label(n)) is not an embedding lookup in a 2-D initializer")
        }
        if isTokens(n.inputs[1]) {
            var v = n.inputs[1]
            while v != imp.tokens, let i = imp.producers[v] { claimed.insert(i); v = imp.model.nodes[i].inputs[0] }
            let w = try tableWeight(table, t)
            vocab = t.dims[0]; hidden = t.dims[1]
            return Lowered(ir: try b.op("embedding", [w, tokensIR], name: "x"), layout: .rows)
        }
        // Learned positions: the ids are the positions P..P+T-1.
        let ids = try numbers(n.inputs[1])
        guard ids == (0..<ids.count).map(Double.init), ids.count == ONNXImporter.probeT else {
            throw Self.fail("\(label(n)) gathers rows that are neither the token ids nor the positions")
        }
        let w = try tableWeight(table, t)
        contextLength = t.dims[0]
        let p = try b.op("positions", [tokensIR], name: "pos")
        return Lowered(ir: try b.op("embedding", [w, p], name: "pos_emb"), layout: .rows)
    }

    /// An embedding table as stored (float32, float16 or bfloat16 bytes).
    mutating func tableWeight(_ name: String, _ t: ONNXTensor) throws -> String {
        if weights[name] == nil {
            let dtype: DType
            switch t.type {
            case .float: dtype = .f32
            case .float16: dtype = .f16
            case .bfloat16: dtype = .bf16
            default: throw Self.fail("initializer '\(name)' is \(t.type), not a float table")
            }
            weights[name] = try HostTensor(dtype: dtype, shape: t.dims, bytes: t.bytes)
        }
        if !b.graph.params.contains(where: { $0.name == name }) {
            b.param(name, TensorType(weights[name]!.dtype, t.dims.map { .fixed($0) }), kind: .weight)
        }
        return name
    }

    /// A float32 weight parameter; `values` is computed only the first time `name` is seen.
    mutating func addWeight(_ name: String, _ values: @autoclosure () -> [Float], _ shape: [Int]) -> String {
        if weights[name] == nil { weights[name] = HostTensor(f32: values(), shape: shape) }
        if !b.graph.params.contains(where: { $0.name == name }) {
            b.param(name, TensorType(.f32, shape.map { .fixed($0) }), kind: .weight)
        }
        return name
    }

    // MARK: - matrices

    /// The weight of a matrix product: an initializer (or its transpose) as [in, out], or
    /// nil when the second operand is computed (attention).
    struct WeightSource { var initializer: String; var transposed: Bool }

    mutating func weightSource(_ n: ONNXNode) throws -> WeightSource? {
        let w = n.inputs[1]
        let transB = n.opType == "Gemm" && (n.int("transB") ?? 0) != 0
        if let i = try value(w).initializer { return WeightSource(initializer: i, transposed: transB) }
        if let p = imp.node(producing: w), p.opType == "Transpose", (p.ints("perm") ?? [1, 0]) == [1, 0],
           let i = try value(p.inputs[0]).initializer {
            claimed.insert(imp.producers[w]!)
            return WeightSource(initializer: i, transposed: !transB)
        }
        return nil
    }

    /// x·W (+ bias), W given as [in, out] (or [out, in] when transposed); `columns` picks a
    /// range of outputs (a split of a fused projection).
    mutating func linear(_ n: ONNXNode, _ w: WeightSource, columns: Range<Int>?) throws -> Lowered {
        guard let t = imp.model.initializers[w.initializer], t.dims.count == 2 else {
            throw Self.fail("\(label(n)): weight '\(w.initializer)' is not a 2-D initializer")
        }
        if n.opType == "Gemm" {
            guard (n.float("alpha") ?? 1) == 1, (n.int("transA") ?? 0) == 0 else { throw Self.fail("\(label(n)): alpha ≠ 1 or transA is not supported") }
        }
        let (inDim, outDim) = w.transposed ? (t.dims[1], t.dims[0]) : (t.dims[0], t.dims[1])
        let cols = columns ?? 0..<outDim
        var x = try rows(n.inputs[0])
        if pendingSlice { x = try slice(x); pendingSlice = false }
        let name = w.initializer + (w.transposed ? "" : ".T") + (columns.map { "[\($0.lowerBound):\($0.upperBound)]" } ?? "")
        // Sluice's matmul takes [out, in]; ONNX's MatMul weight is [in, out] unless transposed.
        func weightRows() -> [Float] {
            let v = t.floats()
            var out = [Float](repeating: 0, count: cols.count * inDim)
            for (r, o) in cols.enumerated() {
                for i in 0..<inDim { out[r * inDim + i] = w.transposed ? v[o * inDim + i] : v[i * outDim + o] }
            }
            return out
        }
        _ = addWeight(name, weightRows(), [cols.count, inDim])
        linearOutputs.append(cols.count)
        var y = try b.op("matmul", [x, name], name: "mm")
        let biasInput = n.opType == "Gemm" && n.inputs.count > 2 && !n.inputs[2].isEmpty ? n.inputs[2] : nil
        if let bias = biasInput {
            guard (n.float("beta") ?? 1) == 1 else { throw Self.fail("\(label(n)): beta ≠ 1 is not supported") }
            let bv = try numbers(bias)
            guard bv.count == outDim else { throw Self.fail("\(label(n)): bias has \(bv.count) values for \(outDim) outputs") }
            let bn = addWeight(bias + (columns.map { "[\($0.lowerBound):\($0.upperBound)]" } ?? ""), cols.map { Float(bv[$0]) }, [cols.count])
            y = try b.op("add", [y, bn], name: "mm_bias")
        }
        return Lowered(ir: y, layout: .rows)
    }

    /// One output of a Split along features: the matching columns of the projection before it.
    mutating func split(_ n: ONNXNode, _ name: String) throws -> Lowered {
        let k = n.outputs.firstIndex(of: name)!
        let input = try value(n.inputs[0])
        let axis = (n.int("axis") ?? 0) < 0 ? (n.int("axis") ?? 0) + input.shape.count : (n.int("axis") ?? 0)
        guard axis == input.shape.count - 1 else { throw Self.fail("\(label(n)) splits along axis \(axis), not features") }
        let start = try n.outputs[..<k].reduce(0) { $0 + (try value($1).shape.last ?? 0) }
        let size = try value(name).shape.last ?? 0
        // Walk back through views to the projection.
        var src = n.inputs[0]
        while let p = imp.node(producing: src), ["Reshape", "Identity"].contains(p.opType), (try value(p.inputs[0]).shape.last) == (try value(src).shape.last) {
            claimed.insert(imp.producers[src]!); src = p.inputs[0]
        }
        guard let (pi, p) = try? producer(src), ["MatMul", "Gemm"].contains(p.opType), let w = try weightSource(p) else {
            throw Self.fail("\(label(n)) splits a value that is not a projection")
        }
        claimed.insert(pi)
        return try linear(p, w, columns: start..<(start + size))
    }

    mutating func layerNormalization(_ n: ONNXNode) throws -> Lowered {
        let x = try value(n.inputs[0])
        guard (n.int("axis") ?? -1) == -1 || n.int("axis") == x.shape.count - 1, n.inputs.count >= 3 else {
            throw Self.fail("\(label(n)): only normalization over the last axis with scale and bias is supported")
        }
        let f = x.shape.last!
        let scale = try numbers(n.inputs[1]).map(Float.init), shift = try numbers(n.inputs[2]).map(Float.init)
        let w = addWeight(n.inputs[1], scale, [f])
        let bias = addWeight(n.inputs[2], shift, [f])
        let eps = Double(n.float("epsilon") ?? 1e-5)
        normKind = normKind ?? .layer; normEps = normEps ?? eps
        return Lowered(ir: try b.op("layer_norm", [try rows(n.inputs[0]), w, bias], ["eps": .float(eps)], name: "norm"), layout: .rows)
    }
}
