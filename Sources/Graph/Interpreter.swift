/// Runs a graph on the CPU in float32 with each operator's reference implementation. It
/// is the oracle for kernels and passes: clear, not fast.
public struct ReferenceInterpreter {
    public let graph: Graph
    public let registry: OpRegistry

    public init(graph: Graph, registry: OpRegistry = .shared) {
        self.graph = graph
        self.registry = registry
    }

    /// Runs once. `feeds` holds inputs and weights by name; `state` holds the state values and
    /// is updated in place (e.g. the KV cache rows written this step); a state value not given
    /// starts as zeros, as on the GPU (passes may add state, such as split attention's
    /// counters). Symbols are bound from `bindings` and, where missing, from the shapes of the
    /// fed tensors.
    /// Returns every graph output by name.
    public func run(feeds: [String: HostTensor], state: inout [String: HostTensor],
                    bindings: Bindings = [:]) throws -> [String: HostTensor] {
        var env: [String: HostTensor] = [:]
        var binds = bindings
        for p in graph.params {
            let t: HostTensor
            if p.kind == .state {
                if let s = state[p.name] {
                    t = s
                } else if let dims = p.type.resolve(binds), p.type.dtype == .f32 || p.type.dtype == .i32 {
                    let n = dims.reduce(1, *)
                    t = p.type.dtype == .f32 ? HostTensor(f32: Array(repeating: 0, count: n), shape: dims)
                                             : HostTensor(i32: Array(repeating: 0, count: n), shape: dims)
                    state[p.name] = t
                } else {
                    throw GraphError.run("state %\(p.name) was not provided")
                }
            } else {
                guard let f = feeds[p.name] else { throw GraphError.run("\(p.kind.rawValue) %\(p.name) was not provided") }
                t = f
            }
            try Self.bind(p, t, &binds)
            env[p.name] = t
        }
        // Where a value's storage belongs to a state parameter (through views and updates).
        var owner: [String: String] = [:]
        for p in graph.params where p.kind == .state { owner[p.name] = p.name }

        for node in graph.nodes {
            let def = try registry.definition(node.op)
            let attrs = try def.resolveAttributes(node.attributes, node: node)
            let inputs = try node.inputs.map { name -> HostTensor in
                guard let t = env[name] else { throw GraphError.run("node \(node.label): %\(name) has no value") }
                return t
            }
            let outs = try def.reference(ReferenceContext(node: node, inputs: inputs, attributes: attrs, bindings: binds))
            guard outs.count == node.outputs.count else {
                throw GraphError.run("node \(node.label): reference gave \(outs.count) outputs")
            }
            for (v, t) in zip(node.outputs, outs) {
                guard let dims = v.type.resolve(binds), dims == t.shape else {
                    throw GraphError.run("node \(node.label): %\(v.name) has shape \(t.shape), expected \(v.type) under \(binds)")
                }
                env[v.name] = t
            }
            for (o, v) in node.outputs.enumerated() {
                switch def.storage(ofOutput: o) {
                case .view(let i):
                    owner[v.name] = owner[node.inputs[i]]
                case .update(let i):
                    if let root = owner[node.inputs[i]] {
                        owner[v.name] = root
                        state[root] = outs[o]
                    }
                case .fresh, .inPlace:
                    break
                }
            }
        }
        var result: [String: HostTensor] = [:]
        for o in graph.outputs { result[o] = env[o] }
        return result
    }

    /// Binds the symbols in `p`'s type from the tensor's concrete shape, checking consistency.
    public static func bind(_ p: Value, _ t: HostTensor, _ binds: inout Bindings) throws {
        guard p.type.rank == t.shape.count else {
            throw GraphError.run("%\(p.name) expects rank \(p.type.rank), got shape \(t.shape)")
        }
        guard p.type.dtype == t.dtype || (p.type.dtype.isFloat && t.dtype == .f32 && !p.type.dtype.isQuantized && p.kind != .weight) else {
            throw GraphError.run("%\(p.name) expects \(p.type.dtype.rawValue), got \(t.dtype.rawValue)")
        }
        for (d, n) in zip(p.type.shape, t.shape) {
            switch d {
            case .fixed(let m):
                guard m == n else { throw GraphError.run("%\(p.name) expects \(p.type), got shape \(t.shape)") }
            case .symbol(let s):
                if let b = binds[s], b != n {
                    throw GraphError.run("%\(p.name): \(s) is \(b), but the tensor gives \(n)")
                }
                binds[s] = n
            }
        }
    }
}
