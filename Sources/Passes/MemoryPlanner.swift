import SluiceGraph

/// Liveness over the scheduled order, then greedy-by-size offsets in one arena. Values
/// that share storage (views, cache updates, in-place elementwise ops) are planned as one.
public enum MemoryPlanner {
    /// Plans `graph`, whose nodes are already in scheduled order, for the sizes in `bindings`.
    public static func plan(_ graph: Graph, bindings: Bindings, alignment: Int = 256,
                            registry: OpRegistry = .shared) throws -> MemoryPlan {
        let values = graph.values
        let n = graph.nodes.count
        func size(_ name: String) throws -> Int {
            guard let v = values[name], let b = v.type.byteCount(bindings) else {
                throw PlanError.unsized("cannot size %\(name) under \(bindings)")
            }
            return b
        }
        // Storage classes: union-find over values sharing a buffer.
        var parent: [String: String] = [:]
        func find(_ x: String) -> String {
            var r = x
            while let p = parent[r], p != r { r = p }
            return r
        }
        let paramNames = Set(graph.params.map(\.name))
        var lastUse: [String: Int] = [:]
        for (i, node) in graph.nodes.enumerated() { for x in node.inputs { lastUse[x] = i } }
        for o in graph.outputs { lastUse[o] = n }
        var defAt: [String: Int] = [:]
        for p in graph.params { defAt[p.name] = -1 }
        var inPlace: [String: String] = [:]
        // Members per class, to know the class's last use when deciding in-place reuse.
        var members: [String: [String]] = [:]
        for p in graph.params { members[p.name] = [p.name] }
        func classLast(_ root: String) -> Int { members[root, default: []].map { lastUse[$0] ?? defAt[$0]! }.max() ?? -1 }
        let outputs = Set(graph.outputs)

        for (i, node) in graph.nodes.enumerated() {
            let def = try registry.definition(node.op)
            for o in node.outputs { defAt[o.name] = i; parent[o.name] = o.name; members[o.name] = [o.name] }
            for (oi, out) in node.outputs.enumerated() {
                var joinWith: String?
                switch def.storage(ofOutput: oi) {
                case .view(let k), .update(let k):
                    joinWith = node.inputs[k]
                case .inPlace(let k):
                    let x = node.inputs[k], r = find(x)
                    let sameSize = (try? size(x)) == (try? size(out.name))
                    let classHasOutput = members[r, default: []].contains { outputs.contains($0) }
                    if !paramNames.contains(r), sameSize, !classHasOutput, classLast(r) == i,
                       node.inputs.filter({ find($0) == r }).count == 1, !inPlace.values.contains(x) {
                        joinWith = x
                        inPlace[out.name] = x
                    }
                case .fresh:
                    break
                }
                if let j = joinWith {
                    let r = find(j)
                    parent[out.name] = r
                    members[r, default: []].append(out.name)
                    members[out.name] = nil
                }
            }
        }


        // Lifetimes and sizes per arena class.
        var classes: [String: (first: Int, last: Int, size: Int)] = [:]
        var lifetimes: [String: ClosedRange<Int>] = [:]
        for (name, _) in values {
            let first = defAt[name]!
            let last = max(first, lastUse[name] ?? first)
            lifetimes[name] = first...last
            let r = find(name)
            if paramNames.contains(r) { continue }
            let s = try size(name)
            let c = classes[r] ?? (first, last, 0)
            classes[r] = (min(c.first, first), max(c.last, last), max(c.size, s))
        }
        func align(_ x: Int) -> Int { (x + alignment - 1) / alignment * alignment }

        // Greedy by size: biggest first, lowest offset that overlaps no live neighbour.
        var placed: [(first: Int, last: Int, offset: Int, size: Int)] = []
        var offsets: [String: Int] = [:]
        var arena = 0, naive = 0
        let order = classes.keys.sorted { (classes[$0]!.size, $1) > (classes[$1]!.size, $0) }
        for r in order {
            let c = classes[r]!
            let sz = align(max(c.size, 4))
            naive += sz
            let busy = placed.filter { $0.first <= c.last && c.first <= $0.last }.sorted { $0.offset < $1.offset }
            var off = 0
            for b in busy {
                if off + sz <= b.offset { break }
                off = max(off, align(b.offset + b.size))
            }
            placed.append((c.first, c.last, off, sz))
            offsets[r] = off
            arena = max(arena, off + sz)
        }
        var locations: [String: MemoryPlan.Location] = [:]
        for (name, _) in values {
            let r = find(name)
            let s = try size(name)
            if paramNames.contains(r) {
                locations[name] = .init(root: .param(r), offset: 0, size: s)
            } else {
                locations[name] = .init(root: .arena, offset: offsets[r]!, size: s)
            }
        }
        return MemoryPlan(locations: locations, lifetimes: lifetimes, arenaBytes: arena, naiveBytes: naive,
                          inPlace: inPlace, alignment: alignment, bindings: bindings)
    }
}
