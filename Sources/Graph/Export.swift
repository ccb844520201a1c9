import Foundation

/// Graphviz DOT and JSON renderings of a graph.
public enum GraphExport {
    /// A DOT digraph: parameters as ellipses (weights grey, state blue), ops as boxes,
    /// edges labelled with the value's type.
    public static func dot(_ g: Graph) -> String {
        func q(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        var s = "digraph \(q(g.name)) {\n  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=10];\n"
        var source: [String: String] = [:]
        for p in g.params {
            let id = "p_\(p.name)"
            let color = p.kind == .weight ? "lightgrey" : p.kind == .state ? "lightblue" : "white"
            s += "  \(q(id)) [shape=ellipse, style=filled, fillcolor=\(color), label=\(q("%\(p.name)\n\(p.type)"))];\n"
            source[p.name] = id
        }
        for (i, n) in g.nodes.enumerated() {
            let id = "n\(i)"
            let attrs = n.attributes.keys.sorted().map { "\($0)=\(n.attributes[$0]!)" }.joined(separator: "\n")
            s += "  \(q(id)) [shape=box, style=rounded, label=\(q(n.op + (attrs.isEmpty ? "" : "\n" + attrs)))];\n"
            let types = g.values
            for x in n.inputs {
                if let from = source[x] { s += "  \(q(from)) -> \(q(id)) [label=\(q(types[x]?.type.description ?? ""))];\n" }
            }
            for o in n.outputs { source[o.name] = id }
        }
        for (i, o) in g.outputs.enumerated() {
            s += "  \(q("out\(i)")) [shape=doubleoctagon, label=\(q("return %\(o)"))];\n"
            if let from = source[o] { s += "  \(q(from)) -> \(q("out\(i)"));\n" }
        }
        return s + "}\n"
    }

    /// A JSON object with the graph's name, params, nodes and outputs (keys sorted).
    public static func json(_ g: Graph) -> String {
        func type(_ t: TensorType) -> [String: Any] {
            ["dtype": t.dtype.rawValue, "shape": t.shape.map { d -> Any in d.fixedValue.map { $0 as Any } ?? d.description }]
        }
        func attr(_ a: Attribute) -> Any {
            switch a {
            case .int(let v): return v
            case .float(let v): return v.isFinite ? v : Attribute.format(v)
            case .string(let v): return v
            case .bool(let v): return v
            case .ints(let v): return v
            }
        }
        let obj: [String: Any] = [
            "name": g.name,
            "params": g.params.map { ["name": $0.name, "kind": $0.kind.rawValue, "type": type($0.type)] },
            "nodes": g.nodes.map { n in
                [
                    "op": n.op, "inputs": n.inputs,
                    "outputs": n.outputs.map { ["name": $0.name, "type": type($0.type)] },
                    "attributes": n.attributes.mapValues(attr),
                ] as [String: Any]
            },
            "outputs": g.outputs,
        ]
        let data = try! JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
