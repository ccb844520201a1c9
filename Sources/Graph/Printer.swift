/// Writes a graph in the text format (docs/OPS.md). `GraphParser.parse(GraphPrinter.print(g)) == g`.
public enum GraphPrinter {
    public static func print(_ g: Graph) -> String {
        var s = "graph @\(g.name)("
        let params = g.params.map { p -> String in
            let kind = p.kind == .input ? "" : p.kind.rawValue + " "
            return "%\(p.name): \(kind)\(p.type)"
        }
        if params.count > 3 {
            s += "\n" + params.map { "    " + $0 }.joined(separator: ",\n") + "\n"
        } else {
            s += params.joined(separator: ", ")
        }
        s += ") {\n"
        for n in g.nodes { s += "  " + line(n) + "\n" }
        s += "  return " + g.outputs.map { "%" + $0 }.joined(separator: ", ") + "\n}\n"
        return s
    }

    /// One node: `%y = op(%a, %b) {k = v} : f32[T,4]`.
    public static func line(_ n: Node) -> String {
        var s = n.outputs.map { "%" + $0.name }.joined(separator: ", ")
        s += " = \(n.op)(" + n.inputs.map { "%" + $0 }.joined(separator: ", ") + ")"
        if !n.attributes.isEmpty {
            s += " {" + n.attributes.keys.sorted().map { "\($0) = \(n.attributes[$0]!)" }.joined(separator: ", ") + "}"
        }
        s += " : " + n.outputs.map { $0.type.description }.joined(separator: ", ")
        return s
    }
}
