/// Builds graphs in code, inferring each output's type from the op's shape rule.
/// `let h = try b.op("rms_norm", [x, w], ["eps": .float(1e-5)])`
public struct GraphBuilder {
    public private(set) var graph: Graph
    public let registry: OpRegistry
    private var types: [String: TensorType] = [:]
    private var counter = 0

    public init(name: String, registry: OpRegistry = .shared) {
        graph = Graph(name: name)
        self.registry = registry
    }

    /// Adds a parameter and returns its name.
    @discardableResult
    public mutating func param(_ name: String, _ type: TensorType, kind: ValueKind = .input) -> String {
        graph.params.append(Value(name, type, kind: kind))
        types[name] = type
        return name
    }

    /// A fresh value name with the given stem (`h`, `h.1`, …).
    public mutating func fresh(_ stem: String) -> String {
        if types[stem] == nil { return stem }
        while true {
            counter += 1
            let n = "\(stem).\(counter)"
            if types[n] == nil { return n }
        }
    }

    /// Appends a node with one output and returns the output's name.
    public mutating func op(_ op: String, _ inputs: [String], _ attrs: Attributes = [:], name: String? = nil) throws -> String {
        try ops(op, inputs, attrs, names: [name ?? op])[0]
    }

    /// Appends a node with several outputs.
    public mutating func ops(_ op: String, _ inputs: [String], _ attrs: Attributes = [:], names: [String]) throws -> [String] {
        let def = try registry.definition(op)
        let stub = Node(op: op, inputs: inputs, outputs: [], attributes: attrs)
        let resolved = try def.resolveAttributes(attrs, node: stub)
        let inTypes = try inputs.map { n -> TensorType in
            guard let t = types[n] else { throw GraphError.verification("builder: %\(n) is not defined") }
            return t
        }
        let outTypes = try def.inferTypes(ShapeContext(node: stub, inputs: inTypes, attributes: resolved))
        var outs: [Value] = []
        for (i, t) in outTypes.enumerated() {
            let n = fresh(i < names.count ? names[i] : "\(names.first ?? op).\(i)")
            types[n] = t
            outs.append(Value(n, t))
        }
        graph.nodes.append(Node(op: op, inputs: inputs, outputs: outs, attributes: attrs))
        return outs.map(\.name)
    }

    public func type(of name: String) -> TensorType? { types[name] }

    public mutating func output(_ names: String...) { graph.outputs += names }
    public mutating func output(_ names: [String]) { graph.outputs += names }
}
