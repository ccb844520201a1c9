import Foundation
import SluiceGraph

/// Raising decomposed idioms while lowering: views and transposes become layouts,
/// elementwise regions are identified by evaluating them, rotary embeddings and attention
/// by their structure (with the folded tables and masks checked numerically).
extension ONNXLowering {
    // MARK: - views

    mutating func view(_ n: ONNXNode, _ name: String) throws -> Lowered {
        let input = try lower(n.inputs[0])
        let from = try value(n.inputs[0]).shape, to = try value(name).shape
        let t = ONNXImporter.probeT
        func isRows(_ s: [Int], _ f: Int) -> Bool { s.last == f && s.dropLast().reduce(1, *) == t && s.count <= 3 }
        switch input.layout {
        case .rows:
            let f = from.last!
            if isRows(to, f) { return input }
            if to.count == 4, to[0] == 1, to[1] == t, to[2] * to[3] == f { return Lowered(ir: input.ir, layout: .heads(to[2], to[3])) }
        case .heads(let h, let d):
            if isRows(to, h * d) { return Lowered(ir: input.ir, layout: .rows) }
            if to == from { return input }
        case .headsT(let h, let d):
            // Grouped-query repeat: [1,H,T,D] → [1,H,1,T,D] → expand [1,H,n,T,D] → [1,H·n,T,D].
            if to == [1, h, 1, from[2], d] { return Lowered(ir: input.ir, layout: .grouped(h, 1, d), storedHeads: input.storedHeads) }
            if to == from { return input }
        case .grouped(let h, _, let d):
            if to.count == 5, to[0] == 1, to[1] == h, to[4] == d, n.opType == "Expand" {
                return Lowered(ir: input.ir, layout: .grouped(h, to[2], d), storedHeads: input.storedHeads)
            }
            if case .grouped(_, let r, _) = input.layout, to == [1, h * r, from[3], d] {
                return Lowered(ir: input.ir, layout: .headsT(h * r, d), storedHeads: input.storedHeads)
            }
        case .keysT:
            if to == from { return input }
        }
        throw Self.fail("\(label(n)) reshapes \(from) → \(to), which does not fit a known layout (\(input.layout))")
    }

    mutating func transpose(_ n: ONNXNode, _ name: String) throws -> Lowered {
        let input = try lower(n.inputs[0])
        let perm = n.ints("perm") ?? []
        switch (input.layout, perm) {
        case (.heads(let h, let d), [0, 2, 1, 3]): return Lowered(ir: input.ir, layout: .headsT(h, d), storedHeads: h)
        case (.headsT(let h, let d), [0, 2, 1, 3]): return Lowered(ir: input.ir, layout: .heads(h, d), storedHeads: input.storedHeads)
        case (.headsT(let h, let d), [0, 1, 3, 2]): return Lowered(ir: input.ir, layout: .keysT(h, d), storedHeads: input.storedHeads)
        case (.keysT(let h, let d), [0, 1, 3, 2]): return Lowered(ir: input.ir, layout: .headsT(h, d), storedHeads: input.storedHeads)
        default: throw Self.fail("\(label(n)) permutes \(perm) a value laid out as \(input.layout)")
        }
    }

    /// The cache concatenation `Concat(past, new)` along time: the new rows (the past lives
    /// in the Sluice cache); a one-input Concat is the identity.
    mutating func concat(_ n: ONNXNode) throws -> Lowered {
        let inputs = n.inputs.filter { !$0.isEmpty }
        if inputs.count == 1 { return try lower(inputs[0]) }
        func isPast(_ v: String) -> Bool {
            if imp.pastInputs.contains(v) { return true }
            guard let p = imp.node(producing: v), p.opType == "Concat", p.inputs.filter({ !$0.isEmpty }).count == 1 else { return false }
            return isPast(p.inputs[0])
        }
        guard inputs.count == 2, isPast(inputs[0]) else { throw Self.fail("\(label(n)) concatenates computed values (only the KV-cache append is supported)") }
        if let i = imp.producers[inputs[0]] { claimed.insert(i) }
        return try lower(inputs[1])
    }

    // MARK: - elementwise regions

    static let rowwise: Set<String> = ["Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Reciprocal", "Neg", "Tanh", "Erf",
                                       "Sigmoid", "Exp", "Cast", "Identity", "ReduceMean", "Abs", "Max", "Min", "Where"]

    func isRowwise(_ n: ONNXNode, _ output: String) -> Bool {
        switch n.opType {
        case "ReduceMean":
            let rank = imp.values[n.inputs[0]]?.shape.count ?? 0
            let axes = n.ints("axes") ?? (n.inputs.count > 1 ? imp.values[n.inputs[1]]?.intValues : nil) ?? []
            return axes.count == 1 && (axes[0] == -1 || axes[0] == rank - 1) && (n.int("keepdims") ?? 1) == 1
        case "Cast": return imp.values[output]?.kind == .float
        default: return Self.rowwise.contains(n.opType)
        }
    }

    /// The nodes computing `name` from one other computed value (the leaf) through row-wise
    /// operators. A row-wise node whose operands come from different values is a leaf itself
    /// (a residual add inside a norm's input); when `name` is such a node, `leaves` lists its
    /// operands' leaves instead.
    func region(_ name: String) -> (nodes: [Int], leaves: [String]) {
        var leafMemo: [String: String] = [:]
        func leaf(_ v: String) -> String {
            if let l = leafMemo[v] { return l }
            var result = v
            if let i = imp.producers[v], isRowwise(imp.model.nodes[i], v) {
                let ls = Set(imp.model.nodes[i].inputs.filter { !$0.isEmpty && !isConstant($0) }.map(leaf))
                if ls.count == 1 { result = ls.first! }
            }
            leafMemo[v] = result
            return result
        }
        let l = leaf(name)
        if l == name {
            guard let i = imp.producers[name], isRowwise(imp.model.nodes[i], name) else { return ([], [name]) }
            return ([], Array(Set(imp.model.nodes[i].inputs.filter { !$0.isEmpty && !isConstant($0) }.map(leaf))).sorted())
        }
        var nodes: Set<Int> = []
        func visit(_ v: String) {
            guard v != l, !isConstant(v), let i = imp.producers[v], !nodes.contains(i) else { return }
            nodes.insert(i)
            imp.model.nodes[i].inputs.filter { !$0.isEmpty }.forEach(visit)
        }
        visit(name)
        return (nodes.sorted(), [l])
    }

    /// Evaluates region `nodes` with `leaf` set to `x` (same shape as the leaf).
    func evaluate(_ nodes: [Int], leaf: String, x: [Double], output: String) throws -> [Double] {
        var env: [String: ONNXValue] = [:]
        var leafValue = try value(leaf); leafValue.data = x; leafValue.initializer = nil
        env[leaf] = leafValue
        for i in nodes {
            let n = imp.model.nodes[i]
            let inputs = try n.inputs.map { v -> ONNXValue? in
                if v.isEmpty { return nil }
                if let e = env[v] { return e }
                var c = try value(v); c.data = try numbers(v); return c
            }
            for (o, r) in zip(n.outputs, try ONNXEvaluator.evaluate(n, inputs)) { env[o] = r }
        }
        guard let d = env[output]?.data else { throw Self.fail("value '\(output)' could not be evaluated") }
        return d
    }

    static func sample(_ count: Int, seed: UInt64) -> [Double] {
        var s = seed
        return (0..<count).map { _ in
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return (Double(s >> 11) / Double(1 << 53) - 0.5) * 8
        }
    }

    static func close(_ a: [Double], _ b: [Double], _ tol: Double = 1e-6) -> Bool {
        guard a.count == b.count else { return false }
        let scale = max(b.map(abs).max() ?? 0, 1)
        return zip(a, b).allSatisfy { abs($0 - $1) <= tol * scale }
    }

    mutating func elementwise(_ n: ONNXNode, _ name: String) throws -> Lowered {
        if n.opType == "Add", let r = try rope(n) { return r }
        let (nodes, leaves) = region(name)
        if leaves.count == 1 { return try classify(name, nodes: nodes, leaf: leaves[0]) }
        // Two computed operands: a residual add or a gating product.
        let dynamic = n.inputs.filter { !$0.isEmpty && !isConstant($0) }
        guard dynamic.count == 2, ["Add", "Mul"].contains(n.opType) else {
            throw Self.fail("\(label(n)) combines computed values in a way that is not supported")
        }
        let slice = pendingSlice
        pendingSlice = false
        var y = try b.op(n.opType == "Add" ? "add" : "mul", [try rows(dynamic[0]), try rows(dynamic[1])],
                         name: n.opType == "Add" ? "resid" : "gated")
        if slice { y = try self.slice(y) }
        return Lowered(ir: y, layout: .rows)
    }

    /// Identifies a region with one computed input by evaluating it on sample rows.
    mutating func classify(_ name: String, nodes: [Int], leaf: String) throws -> Lowered {
        let shape = try value(leaf).shape
        guard let f = shape.last, f > 0 else { throw Self.fail("value '\(leaf)' has no features") }
        let count = shape.reduce(1, *), rowsCount = count / f
        let x = Self.sample(count, seed: 7)
        let y = try evaluate(nodes, leaf: leaf, x: x, output: name)
        guard y.count == count else { throw Self.fail("the elementwise formula ending at '\(name)' changes the shape of '\(leaf)'") }
        claimed.formUnion(nodes)
        let hasReduce = nodes.contains { imp.model.nodes[$0].opType == "ReduceMean" }
        let first = imp.model.nodes[nodes.last!]
        let constLeaves = Set(nodes.flatMap { imp.model.nodes[$0].inputs }.filter { !$0.isEmpty && isConstant($0) })
        func row(_ v: [Double], _ r: Int) -> ArraySlice<Double> { v[(r * f)..<((r + 1) * f)] }
        /// A constant of `f` values equal to `w`, as a weight (its initializer's name when it is one).
        func weight(_ w: [Double], _ role: String) throws -> String {
            for c in constLeaves.sorted() {
                if let d = try? numbers(c), d.count == f, Self.close(d, w, 1e-5) { return addWeight(c, d.map(Float.init), [f]) }
            }
            return addWeight(name + "." + role, w.map(Float.init), [f])
        }
        if hasReduce {
            var epsCandidates: [Double] = []
            for c in constLeaves.sorted() {
                if let v = try? numbers(c), v.count == 1, v[0] > 0, v[0] < 0.1 { epsCandidates.append(v[0]) }
            }
            epsCandidates += [1e-5, 1e-6, 0]
            for eps in epsCandidates {
                for kind in [TransformerConfig.Norm.rms, .layer] {
                    var normed: [Double] = []
                    for r in 0..<rowsCount {
                        let v = Array(row(x, r))
                        let mean = kind == .layer ? v.reduce(0, +) / Double(f) : 0
                        let varc = v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(f)
                        normed += v.map { ($0 - mean) / (varc + eps).squareRoot() }
                    }
                    // y = normed·w + b, fitted from two rows.
                    let w = (0..<f).map { j in (y[f + j] - y[j]) / (normed[f + j] - normed[j]) }
                    let bias = (0..<f).map { j in y[j] - normed[j] * w[j] }
                    let fit = (0..<count).map { normed[$0] * w[$0 % f] + bias[$0 % f] }
                    guard Self.close(fit, y, 1e-5) else { continue }
                    normKind = normKind ?? kind; normEps = normEps ?? eps
                    let input = try rows(leaf)
                    let wName = try weight(w, "weight")
                    if kind == .rms {
                        guard bias.allSatisfy({ abs($0) < 1e-6 }) else { continue }
                        return Lowered(ir: try b.op("rms_norm", [input, wName], ["eps": .float(eps)], name: "norm"), layout: .rows)
                    }
                    let bName = try weight(bias, "bias")
                    return Lowered(ir: try b.op("layer_norm", [input, wName, bName], ["eps": .float(eps)], name: "norm"), layout: .rows)
                }
            }
            throw Self.fail("the normalization ending at \(label(first)) is neither RMSNorm nor LayerNorm over the last axis")
        }
        // Activations.
        let acts: [(String, TransformerConfig.Activation, Attributes, (Double) -> Double)] = [
            ("silu", .silu, [:], { $0 / (1 + exp(-$0)) }),
            ("gelu", .geluTanh, ["approx": .string("tanh")], { 0.5 * $0 * (1 + tanh(0.7978845608028654 * ($0 + 0.044715 * $0 * $0 * $0))) }),
            ("gelu", .geluErf, ["approx": .string("erf")], { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) }),
        ]
        for (op, act, attrs, fn) in acts where Self.close(x.map(fn), y, 1e-5) {
            activation = activation ?? act
            return Lowered(ir: try b.op(op, [try rows(leaf)], attrs, name: op), layout: .rows)
        }
        // Per-feature affine y = x·a + c (identity, scaling, bias).
        let a = (0..<f).map { j in (y[f + j] - y[j]) / (x[f + j] - x[j]) }
        let c = (0..<f).map { j in y[j] - x[j] * a[j] }
        if rowsCount >= 2, Self.close((0..<count).map { x[$0] * a[$0 % f] + c[$0 % f] }, y) {
            var out = try lower(leaf)
            let unit = a.allSatisfy { abs($0 - 1) < 1e-7 }, noShift = c.allSatisfy { abs($0) < 1e-9 }
            if unit && noShift { return out }
            guard out.layout == .rows else { throw Self.fail("the scaling at '\(name)' applies to a value laid out as \(out.layout)") }
            if !unit {
                out.ir = a.allSatisfy({ abs($0 - a[0]) < 1e-9 })
                    ? try b.op("scale", [out.ir], ["value": .float(a[0])], name: "scaled")
                    : try b.op("mul", [out.ir, try weight(a, "scale")], name: "scaled")
            }
            if !noShift { out.ir = try b.op("add", [out.ir, try weight(c, "bias")], name: "biased") }
            return out
        }
        throw Self.fail("the elementwise formula ending at \(label(first)) is not one Sluice knows (RMSNorm, LayerNorm, SiLU, GELU, per-feature scale and bias)")
    }
}
