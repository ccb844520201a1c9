import SluiceGraph

/// Evaluates nodes whose inputs are all weights (e.g. the concatenations the fusions add)
/// once, on the host, and turns their results into weights.
public enum WeightFolding {
    /// Returns the graph without weight-only nodes and the weights it now needs. `cache`
    /// keeps folded tensors by name so graphs sharing weights fold them once.
    public static func apply(_ graph: Graph, weights: [String: HostTensor], cache: inout [String: HostTensor],
                             registry: OpRegistry = .shared) throws -> (Graph, [String: HostTensor]) {
        var g = graph
        var w = weights
        var constant = Set(graph.params.filter { $0.kind == .weight }.map(\.name))
        var kept: [Node] = []
        for node in graph.nodes {
            guard !node.inputs.isEmpty, node.inputs.allSatisfy(constant.contains), node.outputs.count == 1 else {
                kept.append(node); continue
            }
            let out = node.outputs[0]
            if let c = cache[out.name] {
                w[out.name] = c
            } else {
                let def = try registry.definition(node.op)
                let inputs = try node.inputs.map { n -> HostTensor in
                    guard let t = w[n] else { throw GraphError.run("no data for weight %\(n)") }
                    return t
                }
                let r = try def.reference(ReferenceContext(node: node, inputs: inputs,
                                                           attributes: try def.resolveAttributes(node.attributes, node: node), bindings: [:]))[0]
                w[out.name] = r
                cache[out.name] = r
            }
            constant.insert(out.name)
            g.params.append(Value(out.name, out.type, kind: .weight))
        }
        g.nodes = kept
        _ = try Passes.deadCode.run(&g)
        let needed = Set(g.params.filter { $0.kind == .weight }.map(\.name))
        return (g, w.filter { needed.contains($0.key) })
    }

    /// The graph with weight-only nodes turned into weight parameters, without data (for
    /// plans and dumps).
    public static func foldedTypes(_ graph: Graph, registry: OpRegistry = .shared) -> Graph {
        var g = graph
        var constant = Set(graph.params.filter { $0.kind == .weight }.map(\.name))
        g.nodes = graph.nodes.filter { node in
            guard !node.inputs.isEmpty, node.inputs.allSatisfy(constant.contains), node.outputs.count == 1 else { return true }
            constant.insert(node.outputs[0].name)
            g.params.append(Value(node.outputs[0].name, node.outputs[0].type, kind: .weight))
            return false
        }
        _ = try? Passes.deadCode.run(&g)
        return g
    }
}
