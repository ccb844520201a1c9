import Foundation
import SluiceGraph

/// Decode attention split over the cache (flash-decoding): `attention_split` scores `splits`
/// slices of the keys in parallel, each giving its running max, sum and weighted value sum,
/// and the last slice of a head to finish merges them, all in one dispatch. One query row
/// has only `heads` workgroups of work in a single pass, and each walks the whole cache;
/// split, the work spreads over `heads · splits` workgroups and decode no longer slows down
/// in step with the context, still at five dependent dispatches per layer.
public enum SplitAttention {
    public static let defaultSplits = 16
    /// The slices per head the pass gives attention: defaultSplits, or SLUICE_ATTENTION_SPLITS
    /// (1 … 64; A/B runs).
    static var splits: Int {
        environmentValue("SLUICE_ATTENTION_SPLITS").flatMap(Int.init).map { min(max($0, 1), 64) } ?? defaultSplits
    }
    static let attrs = [AttrSpec("heads", .int, minimum: 1), AttrSpec("kv_heads", .int, minimum: 1),
                        AttrSpec("head_dim", .int, minimum: 1), AttrSpec("scale", .float),
                        AttrSpec("window", .int, default: .int(0), minimum: 0), AttrSpec("splits", .int, minimum: 1)]

    /// Keys per slice below which fewer slices are used: a short cache is split in
    /// min(splits, ⌈n / 64⌉) slices (one slice writes the output itself, with no merge), the
    /// rest are empty.
    public static let keysPerSlice = 64

    /// The keys of query row t at position p: [first, p]; slice s of the slices used.
    static func slice(first: Int, p: Int, s: Int, splits: Int) -> Range<Int> {
        let n = p - first + 1, used = min(splits, (n + keysPerSlice - 1) / keysPerSlice)
        let per = (n + used - 1) / used
        let lo = min(first + s * per, p + 1)
        return lo..<min(lo + per, p + 1)
    }

    /// partials[t, (h·splits + s)·(D+2) + …] = [max score, Σ exp, Σ exp·v (D values)] of slice s.
    static func partials(_ c: ReferenceContext) throws -> HostTensor {
        let q = c.inputs[0].floats(), k = c.inputs[1].floats(), v = c.inputs[2].floats()
        let h = c.int("heads"), kvh = c.int("kv_heads"), d = c.int("head_dim"), splits = c.int("splits")
        let scale = c.double("scale"), window = c.int("window"), rows = c.inputs[0].shape[0]
        guard c.past + rows <= c.inputs[1].shape[0] else { throw c.fail("P + T exceeds the key rows") }
        let w = h * splits * (d + 2)
        var out = [Float](repeating: 0, count: rows * w)
        for t in 0..<rows {
            let p = c.past + t, first = window > 0 ? max(0, p - window + 1) : 0
            for head in 0..<h {
                let g = head / (h / kvh)
                for s in 0..<splits {
                    let keys = slice(first: first, p: p, s: s, splits: splits)
                    let scores = keys.map { j in
                        (0..<d).reduce(0.0) { $0 + Double(q[(t * h + head) * d + $1]) * Double(k[(j * kvh + g) * d + $1]) } * scale
                    }
                    let m = scores.max() ?? -3.4e38
                    let e = scores.map { Foundation.exp($0 - m) }
                    let o = t * w + (head * splits + s) * (d + 2)
                    out[o] = Float(m)
                    out[o + 1] = Float(e.reduce(0, +))
                    for i in 0..<d {
                        out[o + 2 + i] = Float(zip(keys, e).reduce(0.0) { $0 + $1.1 * Double(v[($1.0 * kvh + g) * d + i]) })
                    }
                }
            }
        }
        return HostTensor(f32: out, shape: [rows, w])
    }

    /// Causal attention over `splits` slices of the cache in one dispatch: every workgroup
    /// scores one slice and writes its partial result (output 1, scratch); the last workgroup
    /// of a (row, head) to finish — counted in `counters`, a zeroed state that it resets —
    /// merges the slices into the output. Outputs: y, the partials, the counters.
    public static let split = OpDefinition(
        name: "attention_split", inputs: ["q", "k", "v", "counters"], attributes: attrs,
        outputStorage: [.fresh, .fresh, .update(3)], tolerance: 1e-4,
        summary: "causal attention split over slices of the cache, merged by the last slice to finish",
        inferTypes: { c in
            let y = try AttentionOps.attention.inferTypes(ShapeContext(node: c.node, inputs: Array(c.inputs.prefix(3)), attributes: c.attributes))[0]
            guard case .fixed(let rows)? = y.shape.first, rows <= maxRows else { throw c.fail("q must have a fixed row count ≤ \(maxRows)") }
            try c.require(3, [.i32], "counters")
            guard c.inputs[3].shape == [.fixed(maxRows * c.int("heads"))] else { throw c.fail("counters must be i32[\(maxRows)·heads]") }
            let n = c.int("heads") * c.int("splits") * (c.int("head_dim") + 2)
            return [y, TensorType(.f32, [y.shape[0], .fixed(n)]), c.inputs[3]]
        },
        reference: { c in
            let y = try FusedOps.ref(AttentionOps.attention, c, Array(c.inputs.prefix(3)), c.attributes)[0]
            return [y, try partials(c), c.inputs[3]]
        })

    /// Rows a split attention handles (decode steps, a few speculative rows at most).
    public static let maxRows = 4

    /// attention over one (or a few) query rows → attention_split with a zeroed counter state.
    public static let pass = Pass(name: "split-attention", summary: "decode attention → slices of the cache in parallel, merged by the last") { g in
        var changed = 0
        let types = g.values.mapValues(\.type)
        for i in g.nodes.indices where g.nodes[i].op == "attention" {
            let n = g.nodes[i]
            guard case .fixed(let rows)? = types[n.inputs[0]]?.shape.first, rows <= maxRows,
                  let heads = n.attributes["heads"]?.intValue else { continue }
            let out = n.outputs[0].name
            let counters = "\(out).counters"
            guard !g.params.contains(where: { $0.name == counters }) else { continue }
            g.params.append(Value(counters, TensorType(.i32, [.fixed(maxRows * heads)]), kind: .state))
            var a = n.attributes
            let splits = Self.splits
            a["splits"] = .int(splits)
            let w = heads * splits * ((a["head_dim"]?.intValue ?? 0) + 2)
            g.nodes[i] = Node(op: "attention_split", inputs: n.inputs + [counters],
                              outputs: [n.outputs[0], Value("\(out).partials", TensorType(.f32, [.fixed(rows), .fixed(w)])),
                                        Value("\(out).counters_after", TensorType(.i32, [.fixed(maxRows * heads)]))],
                              attributes: a)
            changed += 1
        }
        return changed
    }
}
