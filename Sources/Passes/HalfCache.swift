import SluiceGraph

/// `half-kv-cache`: stores the K/V caches in float16. Every state parameter used only as a
/// cache — input 0 of kv_write, input 2 or 3 of qkv_rope — becomes f16, and the types of
/// the values computed from it (the written caches) follow. The kernels write rounded
/// values and read them back widened to float32; everything else stays float32. Half the
/// cache memory and half the bytes attention reads per key.
/// Not in the standard pipeline: the runners add it where the device has 16-bit storage
/// buffers and `--kv-cache` allows (`PassManager.withHalfCache`).
public enum HalfCache {
    public static let pass = Pass(name: "half-kv-cache", summary: "store the K/V caches (state used only by kv_write / qkv_rope) in float16") { g in
        try apply(&g, registry: .shared)
    }

    static func apply(_ g: inout Graph, registry: OpRegistry) throws -> Int {
        var uses: [String: [(op: String, slot: Int)]] = [:]
        for n in g.nodes { for (i, x) in n.inputs.enumerated() { uses[x, default: []].append((n.op, i)) } }
        var changed = Set<String>()
        for i in g.params.indices where g.params[i].kind == .state && g.params[i].type.dtype == .f32 {
            guard let u = uses[g.params[i].name], !u.isEmpty,
                  u.allSatisfy({ ($0.op == "kv_write" && $0.slot == 0) || ($0.op == "qkv_rope" && ($0.slot == 2 || $0.slot == 3)) }) else { continue }
            g.params[i].type.dtype = .f16
            changed.insert(g.params[i].name)
        }
        guard !changed.isEmpty else { return 0 }
        // The types of everything downstream, inferred again in order.
        var types = Dictionary(uniqueKeysWithValues: g.params.map { ($0.name, $0.type) })
        for i in g.nodes.indices {
            let n = g.nodes[i]
            if n.inputs.contains(where: changed.contains) {
                let def = try registry.definition(n.op)
                let attrs = try def.resolveAttributes(n.attributes, node: n)
                let out = try def.inferTypes(ShapeContext(node: n, inputs: n.inputs.map { types[$0]! }, attributes: attrs))
                for (j, t) in out.enumerated() where j < n.outputs.count && t != n.outputs[j].type {
                    g.nodes[i].outputs[j].type = t
                    changed.insert(n.outputs[j].name)
                }
            }
            for o in g.nodes[i].outputs { types[o.name] = o.type }
        }
        return changed.count
    }
}

extension PassManager {
    /// The pipeline with `half-kv-cache` first.
    public func withHalfCache() -> PassManager {
        var pm = self
        pm.passes.removeAll { $0.name == HalfCache.pass.name }
        pm.passes.insert(HalfCache.pass, at: 0)
        return pm
    }
}
