/// Checks a graph: unique SSA names, definition before use, known ops with valid
/// attributes, and declared types equal to what each op's shape rule infers. Every error
/// names the node or value at fault.
public enum Verifier {
    public static func verify(_ g: Graph, registry: OpRegistry = .shared) throws {
        func fail(_ m: String) -> GraphError { .verification("@\(g.name): \(m)") }
        var defined: [String: TensorType] = [:]
        for p in g.params {
            guard defined[p.name] == nil else { throw fail("parameter %\(p.name) is defined twice") }
            guard p.kind != .intermediate else { throw fail("parameter %\(p.name) cannot be an intermediate") }
            try checkType(p.type, "parameter %\(p.name)", fail)
            defined[p.name] = p.type
        }
        for (index, node) in g.nodes.enumerated() {
            let where_ = "node #\(index) (\(node.label))"
            guard let def = registry[node.op] else {
                throw fail("\(where_): unknown operator '\(node.op)'")
            }
            let maxIn = def.inputs.count, minIn = maxIn - def.optionalInputs
            guard (minIn...maxIn).contains(node.inputs.count) else {
                throw fail("\(where_): takes \(minIn == maxIn ? "\(maxIn)" : "\(minIn)–\(maxIn)") inputs (\(def.inputs.joined(separator: ", "))), got \(node.inputs.count)")
            }
            var types: [TensorType] = []
            for name in node.inputs {
                guard let t = defined[name] else { throw fail("\(where_): input %\(name) is not defined before use") }
                types.append(t)
            }
            let attrs: Attributes
            do { attrs = try def.resolveAttributes(node.attributes, node: node) } catch let e as GraphError {
                throw fail("\(where_): \(inner(e))")
            }
            let inferred: [TensorType]
            do { inferred = try def.inferTypes(ShapeContext(node: node, inputs: types, attributes: attrs)) } catch let e as GraphError {
                throw fail("\(where_): \(inner(e))")
            }
            guard inferred.count == node.outputs.count else {
                throw fail("\(where_): produces \(inferred.count) outputs, \(node.outputs.count) declared")
            }
            for (o, t) in zip(node.outputs, inferred) {
                guard defined[o.name] == nil else { throw fail("\(where_): %\(o.name) is already defined (SSA)") }
                guard o.kind == .intermediate else { throw fail("\(where_): output %\(o.name) must be an intermediate") }
                guard o.type == t else { throw fail("\(where_): %\(o.name) declared \(o.type), but \(node.op) gives \(t)") }
                defined[o.name] = t
            }
            for o in node.outputs.indices {
                if case .update(let i) = def.storage(ofOutput: o) {
                    let target = node.inputs[i]
                    guard let p = g.params.first(where: { $0.name == target }), p.kind == .state else {
                        throw fail("\(where_): \(node.op) must write into a state parameter, %\(target) is not one")
                    }
                }
            }
        }
        guard !g.outputs.isEmpty else { throw fail("the graph returns nothing") }
        var seen = Set<String>()
        for o in g.outputs {
            guard defined[o] != nil else { throw fail("returned value %\(o) is not defined") }
            guard seen.insert(o).inserted else { throw fail("%\(o) is returned twice") }
        }
    }

    static func checkType(_ t: TensorType, _ what: String, _ fail: (String) -> GraphError) throws {
        guard t.rank <= 4 else { throw fail("\(what) has rank \(t.rank), at most 4 is supported") }
        for d in t.shape { if let n = d.fixedValue, n < 0 { throw fail("\(what) has a negative dimension") } }
        if t.dtype.isQuantized, let last = t.shape.last?.fixedValue, last % t.dtype.blockSize != 0 {
            throw fail("\(what): last dim \(last) is not a multiple of \(t.dtype.rawValue)'s block size \(t.dtype.blockSize)")
        }
    }

    /// The message without the "invalid graph:" prefix, to avoid repeating it.
    static func inner(_ e: GraphError) -> String {
        if case .verification(let m) = e {
            if m.hasPrefix("node "), let r = m.range(of: ": ") { return String(m[r.upperBound...]) }
            return m
        }
        return e.description
    }
}
