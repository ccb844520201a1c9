/// What a value is: data fed per run, constant model data, data kept across runs, or
/// something computed inside the graph.
public enum ValueKind: String, Sendable, Hashable, CaseIterable {
    case input, weight, state, intermediate
}

/// A named SSA value. Names are unique within a graph and identify the value.
public struct Value: Hashable, Sendable {
    public var name: String
    public var type: TensorType
    public var kind: ValueKind

    public init(_ name: String, _ type: TensorType, kind: ValueKind = .intermediate) {
        self.name = name
        self.type = type
        self.kind = kind
    }
}

/// One operator application. Inputs are value names; outputs are defined here.
public struct Node: Hashable, Sendable {
    public var op: String
    public var inputs: [String]
    public var outputs: [Value]
    public var attributes: Attributes

    public init(op: String, inputs: [String], outputs: [Value], attributes: Attributes = [:]) {
        self.op = op
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
    }

    /// `%a, %b = op` — used in error messages.
    public var label: String {
        outputs.map { "%" + $0.name }.joined(separator: ", ") + " = " + op
    }
}

/// A dataflow graph: parameters (inputs, weights, state), nodes in topological order, outputs.
public struct Graph: Hashable, Sendable {
    public var name: String
    public var params: [Value]
    public var nodes: [Node]
    public var outputs: [String]

    public init(name: String, params: [Value] = [], nodes: [Node] = [], outputs: [String] = []) {
        self.name = name
        self.params = params
        self.nodes = nodes
        self.outputs = outputs
    }

    /// Every value by name: parameters and node outputs.
    public var values: [String: Value] {
        var d: [String: Value] = [:]
        for p in params { d[p.name] = p }
        for n in nodes { for o in n.outputs { d[o.name] = o } }
        return d
    }

    /// For each value name, the index of the node producing it (parameters are absent).
    public var producers: [String: Int] {
        var d: [String: Int] = [:]
        for (i, n) in nodes.enumerated() { for o in n.outputs { d[o.name] = i } }
        return d
    }

    /// For each value name, the indices of nodes reading it (in order, repeated per use).
    public var users: [String: [Int]] {
        var d: [String: [Int]] = [:]
        for (i, n) in nodes.enumerated() { for x in n.inputs { d[x, default: []].append(i) } }
        return d
    }

    public func params(of kind: ValueKind) -> [Value] { params.filter { $0.kind == kind } }

    /// Count of nodes per op name.
    public var opCounts: [String: Int] {
        var d: [String: Int] = [:]
        for n in nodes { d[n.op, default: 0] += 1 }
        return d
    }
}
