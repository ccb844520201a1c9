import SluiceGraph

/// What a rewrite puts in place of a match: new nodes, and which old values they replace
/// (uses of a replaced value are renamed; a new node may also reuse an old name).
public struct Replacement {
    public var nodes: [Node]
    public var replacing: [String: String]
    public init(nodes: [Node], replacing: [String: String] = [:]) {
        self.nodes = nodes; self.replacing = replacing
    }
}

/// A guard on a match, for the usual fusion conditions.
public struct Guard: Sendable {
    public var check: @Sendable (Match) -> Bool
    public init(_ check: @escaping @Sendable (Match) -> Bool) { self.check = check }

    /// The captured value has exactly one use and is not a graph output.
    public static func singleUse(_ capture: String) -> Guard {
        Guard { m in
            let v = m[capture]
            return !m.graph.outputs.contains(v) && m.graph.nodes.reduce(0) { $0 + $1.inputs.filter { $0 == v }.count } == 1
        }
    }

    /// The captured value is not a graph output.
    public static func notOutput(_ capture: String) -> Guard {
        Guard { m in !m.graph.outputs.contains(m[capture]) }
    }

    /// The captured nodes' op attributes are equal (e.g. two ropes with the same base).
    public static func sameAttributes(_ a: String, _ b: String, except: Set<String> = []) -> Guard {
        Guard { m in
            m.node(a).attributes.filter { !except.contains($0.key) } == m.node(b).attributes.filter { !except.contains($0.key) }
        }
    }
}

/// A fusion or simplification: patterns with named captures (several for multi-output
/// matches, sharing captures), guards, and a closure that returns the replacement or nil.
public struct RewriteRule: Sendable {
    public var name: String
    public var patterns: [Pattern]
    public var guards: [Guard]
    public var rewrite: @Sendable (inout Match) throws -> Replacement?

    public init(name: String, patterns: [Pattern], guards: [Guard] = [],
                rewrite: @escaping @Sendable (inout Match) throws -> Replacement?) {
        self.name = name; self.patterns = patterns; self.guards = guards; self.rewrite = rewrite
    }

    /// A pass that applies these rules, in benefit order, to a fixed point.
    public static func pass(_ name: String, _ summary: String, _ rules: [RewriteRule], limit: Int = 100_000) -> Pass {
        Pass(name: name, summary: summary) { g in try RewriteDriver(rules: rules, limit: limit, passName: name).run(&g) }
    }
}

/// Applies rules to a fixed point: candidates are found by the first pattern's root op; after
/// each rewrite the scan restarts; a loop guard stops runaway rewriting.
struct RewriteDriver {
    let rules: [RewriteRule]
    let limit: Int
    let passName: String

    func run(_ g: inout Graph) throws -> Int {
        var byOp: [String: [RewriteRule]] = [:]
        for r in rules { if let op = r.patterns.first?.rootOp { byOp[op, default: []].append(r) } }
        var count = 0
        scan: while true {
            let matcher = Matcher(g)
            for (i, node) in g.nodes.enumerated() {
                for rule in byOp[node.op] ?? [] {
                    guard var m = matcher.match(rule.patterns, root: i), rule.guards.allSatisfy({ $0.check(m) }) else { continue }
                    guard let r = try rule.rewrite(&m), let edited = try GraphEdit.apply(r, removing: Set(m.nodes.values), to: g) else { continue }
                    g = edited
                    count += 1
                    guard count < limit else { throw PassError.noConvergence(passName, count) }
                    continue scan
                }
            }
            return count
        }
    }
}

/// Graph surgery shared by the passes.
public enum GraphEdit {
    /// Removes `removing`, adds the replacement's nodes, renames replaced values, and restores
    /// topological order. Returns nil (no change) when a removed node's output would still be
    /// used and is not replaced — the safety net behind every fusion.
    public static func apply(_ r: Replacement, removing: Set<Int>, to g: Graph) throws -> Graph? {
        let defined = Set(r.nodes.flatMap { $0.outputs.map(\.name) })
        var out = g
        let removedOutputs = Set(removing.flatMap { g.nodes[$0].outputs.map(\.name) })
        var kept: [(key: Double, node: Node)] = []
        for (i, n) in g.nodes.enumerated() where !removing.contains(i) {
            var n2 = n
            n2.inputs = n.inputs.map { r.replacing[$0] ?? $0 }
            kept.append((Double(i), n2))
        }
        // Graph outputs keep their names: a rewrite that would rename one is declined.
        if g.outputs.contains(where: { r.replacing[$0] != nil }) { return nil }
        out.outputs = g.outputs
        // Every use of a removed value must now be replaced or redefined.
        for (_, n) in kept { for x in n.inputs where removedOutputs.contains(x) && !defined.contains(x) { return nil } }
        for o in out.outputs where removedOutputs.contains(o) && !defined.contains(o) { return nil }
        let anchor = Double(removing.min() ?? g.nodes.count)
        for (j, n) in r.nodes.enumerated() { kept.append((anchor + Double(j + 1) / Double(r.nodes.count + 1), n)) }
        out.nodes = try topologicalOrder(kept, params: Set(g.params.map(\.name)))
        return out
    }

    /// Kahn's algorithm, preferring the smallest key among ready nodes (keeps the order stable).
    static func topologicalOrder(_ items: [(key: Double, node: Node)], params: Set<String>) throws -> [Node] {
        var producer: [String: Int] = [:]
        for (i, it) in items.enumerated() { for o in it.node.outputs { producer[o.name] = i } }
        var waiting = items.map { it in Set(it.node.inputs.compactMap { producer[$0] }) }
        var users: [Int: [Int]] = [:]
        for (i, deps) in waiting.enumerated() { for d in deps { users[d, default: []].append(i) } }
        var ready = waiting.indices.filter { waiting[$0].isEmpty }
        var order: [Node] = []
        while !ready.isEmpty {
            let k = ready.indices.min { items[ready[$0]].key < items[ready[$1]].key }!
            let i = ready.remove(at: k)
            order.append(items[i].node)
            for u in users[i] ?? [] {
                waiting[u].remove(i)
                if waiting[u].isEmpty { ready.append(u) }
            }
        }
        guard order.count == items.count else { throw GraphError.verification("rewrite created a cycle") }
        return order
    }
}
