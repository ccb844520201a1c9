import SluiceGraph

/// The standard passes by role.
public enum Passes {
    public static var cleanup: [Pass] { [deadCode, commonSubexpressions, foldShapes] }
    public static var fusions: [Pass] { [Fusions.addNorm, HeadNormRope.pass, Fusions.qkvRope, Fusions.gateUpSiLU, GeGLU.pass, NormPrologue.pass, PostNorm.pass, SplitAttention.pass, SplitArgmax.pass] }

    /// Removes nodes whose outputs nobody uses, except ops that write state (cache writes).
    public static let deadCode = Pass(name: "dce", summary: "remove nodes whose results are unused") { g in
        var removed = 0
        while true {
            var used = Set(g.outputs)
            for n in g.nodes { used.formUnion(n.inputs) }
            let before = g.nodes.count
            g.nodes.removeAll { n in
                let writesState = (0..<n.outputs.count).contains { i in
                    if case .update = OpRegistry.shared[n.op]?.storage(ofOutput: i) { return true }
                    return false
                }
                return !writesState && !n.outputs.contains { used.contains($0.name) }
            }
            removed += before - g.nodes.count
            if g.nodes.count == before { break }
        }
        let usedParams = Set(g.nodes.flatMap(\.inputs)).union(g.outputs)
        let beforeParams = g.params.count
        g.params.removeAll { $0.kind == .weight && !usedParams.contains($0.name) }
        return removed + beforeParams - g.params.count
    }

    /// Merges nodes with the same op, inputs and attributes (never state writes).
    public static let commonSubexpressions = Pass(name: "cse", summary: "merge identical computations") { g in
        var seen: [String: Node] = [:]
        var rename: [String: String] = [:]
        var kept: [Node] = []
        var merged = 0
        for var n in g.nodes {
            n.inputs = n.inputs.map { rename[$0] ?? $0 }
            let pure = (0..<n.outputs.count).allSatisfy { i in
                if case .update = OpRegistry.shared[n.op]?.storage(ofOutput: i) { return false }
                return true
            }
            let key = n.op + "(" + n.inputs.joined(separator: ",") + ")" + GraphPrinter.line(Node(op: "", inputs: [], outputs: n.outputs.map { Value("_", $0.type) }, attributes: n.attributes))
            if pure, let prev = seen[key], !n.outputs.contains(where: { g.outputs.contains($0.name) }) {
                for (a, b) in zip(n.outputs, prev.outputs) { rename[a.name] = b.name }
                merged += 1
                continue
            }
            if pure { seen[key] = n }
            kept.append(n)
        }
        g.nodes = kept
        return merged
    }

    /// Folds shape-only ops: reshape to the same shape, reshape of a reshape, slices that
    /// keep everything.
    public static let foldShapes = RewriteRule.pass("fold-shapes", "remove no-op reshapes and slices", [
        RewriteRule(name: "reshape-noop", patterns: [.op("reshape", .any("x"), as: "r")]) { m in
            guard m.type("x") == m.type("r") else { return nil }
            return Replacement(nodes: [], replacing: [m["r"]: m["x"]])
        },
        RewriteRule(name: "reshape-reshape", patterns: [.op("reshape", .op("reshape", .any("x"), as: "inner"), as: "outer")],
                    guards: [.singleUse("inner")]) { m in
            let n = try m.make("reshape", [m["x"]], m.node("outer").attributes, outputs: [m["outer"]])
            return n.outputs[0].type == m.type("outer") ? Replacement(nodes: [n]) : nil
        },
        RewriteRule(name: "slice-all", patterns: [.op("slice", .any("x"), as: "s")]) { m in
            guard m.type("x") == m.type("s"), m.attr("s", "start")?.intValue == 0 else { return nil }
            return Replacement(nodes: [], replacing: [m["s"]: m["x"]])
        },
    ])
}
