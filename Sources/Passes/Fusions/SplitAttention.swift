import Foundation
import SluiceGraph

/// Decode attention split over the cache (flash-decoding): `attention_partial` scores
/// `splits` slices of the keys in parallel, each giving its running max, sum and weighted
/// value sum; `attention_combine` merges them. One query row has only `heads` workgroups of
/// work in a single pass, and each walks the whole cache; split, the work spreads over
/// `heads · splits` workgroups and decode no longer slows down in step with the context.
public enum SplitAttention {
    public static let defaultSplits = 16
    static let attrs = [AttrSpec("heads", .int, minimum: 1), AttrSpec("kv_heads", .int, minimum: 1),
                        AttrSpec("head_dim", .int, minimum: 1), AttrSpec("scale", .float),
                        AttrSpec("window", .int, default: .int(0), minimum: 0), AttrSpec("splits", .int, minimum: 1)]

    /// The keys of query row t at position p: [first, p]; slice s of `splits` of them.
    static func slice(first: Int, p: Int, s: Int, splits: Int) -> Range<Int> {
        let n = p - first + 1, per = (n + splits - 1) / splits
        let lo = min(first + s * per, p + 1)
        return lo..<min(lo + per, p + 1)
    }

    /// partials[t, (h·splits + s)·(D+2) + …] = [max score, Σ exp, Σ exp·v (D values)].
    public static let partial = OpDefinition(
        name: "attention_partial", inputs: ["q", "k", "v"], attributes: attrs, tolerance: 1e-4,
        summary: "per slice of the cache: running max, exp-sum and weighted value sum of causal attention",
        inferTypes: { c in
            let y = try AttentionOps.attention.inferTypes(c)[0]
            let n = c.int("heads") * c.int("splits") * (c.int("head_dim") + 2)
            return [TensorType(.f32, [y.shape[0], .fixed(n)])]
        },
        reference: { c in
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
            return [HostTensor(f32: out, shape: [rows, w])]
        })

    public static let combine = OpDefinition(
        name: "attention_combine", inputs: ["partials"],
        attributes: [AttrSpec("heads", .int, minimum: 1), AttrSpec("head_dim", .int, minimum: 1), AttrSpec("splits", .int, minimum: 1)],
        tolerance: 1e-4, summary: "merges attention_partial slices: Σ e^(m_s−M)·acc_s / Σ e^(m_s−M)·l_s",
        inferTypes: { c in
            try c.require(0, [.f32], "partials"); try c.requireRank(0, 2...2, "partials")
            let h = c.int("heads"), d = c.int("head_dim")
            try c.requireEqual(c.inputs[0].shape[1], .fixed(h * c.int("splits") * (d + 2)), "partials row size")
            return [TensorType(.f32, [c.inputs[0].shape[0], .fixed(h * d)])]
        },
        reference: { c in
            let x = c.inputs[0].floats(), h = c.int("heads"), d = c.int("head_dim"), splits = c.int("splits")
            let rows = c.inputs[0].shape[0], w = h * splits * (d + 2)
            var out = [Float](repeating: 0, count: rows * h * d)
            for t in 0..<rows {
                for head in 0..<h {
                    let base = t * w + head * splits * (d + 2)
                    let big = (0..<splits).map { Double(x[base + $0 * (d + 2)]) }.max()!
                    var l = 0.0
                    var acc = [Double](repeating: 0, count: d)
                    for s in 0..<splits {
                        let o = base + s * (d + 2), f = Foundation.exp(Double(x[o]) - big)
                        l += f * Double(x[o + 1])
                        for i in 0..<d { acc[i] += f * Double(x[o + 2 + i]) }
                    }
                    for i in 0..<d { out[(t * h + head) * d + i] = Float(acc[i] / l) }
                }
            }
            return [HostTensor(f32: out, shape: [rows, h * d])]
        })

    /// attention over one (or a few) query rows → attention_partial + attention_combine.
    public static let pass = RewriteRule.pass("split-attention", "decode attention → slices of the cache in parallel, then combined", [
        RewriteRule(name: "split", patterns: [.op("attention", .any("q"), .any("k"), .any("v"), as: "att")],
                    guards: [Guard { m in
                        if case .fixed(let r)? = m.type("q").shape.first { return r <= 4 }
                        return false
                    }]) { m in
            var a = m.node("att").attributes
            a["splits"] = .int(defaultSplits)
            let part = m.freshName(m["att"] + ".partials")
            let p = try m.make("attention_partial", [m["q"], m["k"], m["v"]], a, outputs: [part])
            m.define(p)
            let y = try m.make("attention_combine", [part],
                               ["heads": a["heads"]!, "head_dim": a["head_dim"]!, "splits": .int(defaultSplits)], outputs: [m["att"]])
            return Replacement(nodes: [p, y])
        },
    ])
}
