import SluiceGraph

/// A declarative subgraph pattern with named captures.
///
///     .op("rms_norm", .op("add", .any("a"), .any("b"), as: "sum"), .any("w"), as: "norm")
///
/// matches `%norm = rms_norm(%sum, %w)` where `%sum = add(%a, %b)`, binding a, b, w to the
/// input values and sum, norm to the matched nodes.
public indirect enum Pattern: Sendable {
    /// Any value, bound to `capture` (the same capture must bind the same value everywhere).
    case any(String?)
    /// A value produced as output `output` of a node with op `op` whose inputs match `inputs`.
    case node(op: String, inputs: [Pattern], capture: String?, output: Int)

    public static func any(_ capture: String) -> Pattern { .any(Optional(capture)) }
    public static var anything: Pattern { .any(nil) }

    /// `.op("matmul", .any("x"), .any("w"), as: "q")`
    public static func op(_ op: String, _ inputs: Pattern..., as capture: String? = nil, output: Int = 0) -> Pattern {
        .node(op: op, inputs: inputs, capture: capture, output: output)
    }

    var rootOp: String? {
        if case .node(let op, _, _, _) = self { return op }
        return nil
    }
}

/// The bindings of one match: captured values and nodes.
public struct Match {
    public let graph: Graph
    /// Capture → value name (for `.any` captures and for node captures: the matched output).
    public internal(set) var values: [String: String] = [:]
    /// Capture → index of the matched node in `graph.nodes`.
    public internal(set) var nodes: [String: Int] = [:]
    let types: [String: TensorType]

    public subscript(capture: String) -> String { values[capture]! }

    /// The matched node for a node capture.
    public func node(_ capture: String) -> Node { graph.nodes[nodes[capture]!] }

    public func type(_ capture: String) -> TensorType { types[values[capture]!]! }
    public func type(ofValue name: String) -> TensorType? { types[name] }

    /// An attribute of a captured node.
    public func attr(_ capture: String, _ name: String) -> Attribute? { node(capture).attributes[name] }

    /// A new node whose output types come from the op's shape rule, with the given output names.
    public func make(_ op: String, _ inputs: [String], _ attrs: Attributes = [:], outputs: [String],
                     registry: OpRegistry = .shared) throws -> Node {
        let def = try registry.definition(op)
        let stub = Node(op: op, inputs: inputs, outputs: [], attributes: attrs)
        let resolved = try def.resolveAttributes(attrs, node: stub)
        let inTypes = try inputs.map { n -> TensorType in
            guard let t = types[n] ?? extraTypes[n] else { throw GraphError.verification("rewrite: %\(n) is not defined") }
            return t
        }
        let outTypes = try def.inferTypes(ShapeContext(node: stub, inputs: inTypes, attributes: resolved))
        return Node(op: op, inputs: inputs, outputs: zip(outputs, outTypes).map { Value($0, $1) }, attributes: attrs)
    }

    /// Types of values created by earlier nodes of the same replacement.
    var extraTypes: [String: TensorType] = [:]

    /// Registers the outputs of `node` so later `make` calls can use them.
    public mutating func define(_ node: Node) { for o in node.outputs { extraTypes[o.name] = o.type } }

    /// A value name not used in the graph yet.
    public func freshName(_ stem: String) -> String {
        if types[stem] == nil && extraTypes[stem] == nil { return stem }
        var i = 1
        while types["\(stem).\(i)"] != nil || extraTypes["\(stem).\(i)"] != nil { i += 1 }
        return "\(stem).\(i)"
    }
}

/// Matching of patterns against a graph.
struct Matcher {
    let graph: Graph
    let producers: [String: Int]
    let types: [String: TensorType]

    init(_ g: Graph) {
        graph = g
        producers = g.producers
        types = g.values.mapValues(\.type)
    }

    /// Tries `pattern` against value `name`, extending `m`.
    func match(_ pattern: Pattern, _ name: String, _ m: inout Match) -> Bool {
        switch pattern {
        case .any(let cap):
            guard let cap else { return true }
            if let bound = m.values[cap] { return bound == name }
            m.values[cap] = name
            return true
        case .node(let op, let inputs, let cap, let output):
            guard let idx = producers[name] else { return false }
            let node = graph.nodes[idx]
            guard node.op == op, output < node.outputs.count, node.outputs[output].name == name,
                  node.inputs.count == inputs.count else { return false }
            if let cap {
                if let bound = m.nodes[cap] { if bound != idx { return false } }
                m.nodes[cap] = idx
                m.values[cap] = name
            }
            for (p, x) in zip(inputs, node.inputs) where !match(p, x, &m) { return false }
            return true
        }
    }

    /// All patterns matched: the first anchored at node `root`'s outputs, the others at any node.
    func match(_ patterns: [Pattern], root: Int) -> Match? {
        var m = Match(graph: graph, types: types)
        let node = graph.nodes[root]
        guard let first = patterns.first, node.outputs.contains(where: { out in
            var trial = m
            if match(first, out.name, &trial) { m = trial; return true }
            return false
        }) else { return nil }
        return extend(patterns.dropFirst(), m)
    }

    /// Matches the remaining patterns anywhere, backtracking over candidates.
    private func extend(_ rest: ArraySlice<Pattern>, _ m: Match) -> Match? {
        guard let p = rest.first else { return m }
        for node in graph.nodes where node.op == p.rootOp {
            for out in node.outputs {
                var trial = m
                // A node already matched by another pattern of this rule can't match again.
                if let i = producers[out.name], m.nodes.values.contains(i) { continue }
                if match(p, out.name, &trial), let done = extend(rest.dropFirst(), trial) { return done }
            }
        }
        return nil
    }
}
