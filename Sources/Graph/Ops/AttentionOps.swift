import Foundation

/// positions, rope, attention and kv_write: the ops that know about token positions.
/// Row t of a step has absolute position `P + t`.
public enum AttentionOps {
    public static var all: [OpDefinition] { [positions, rope, ropeScaled, attention, kvWrite] }

    public static let positions = OpDefinition(
        name: "positions", inputs: ["like"], optionalInputs: 1,
        summary: "P + t for each row t (of `like` when given, else [T])",
        inferTypes: { c in [TensorType(.i32, c.inputs.first?.shape ?? [.symbol("T")])] },
        reference: { c in
            let n = c.inputs.first?.elementCount ?? (c.bindings["T"] ?? 0)
            let shape = c.inputs.first?.shape ?? [n]
            return [HostTensor(i32: (0..<n).map { Int32(c.past + $0) }, shape: shape)]
        })

    static let ropeAttributes = [AttrSpec("heads", .int, minimum: 1), AttrSpec("head_dim", .int, minimum: 2),
                                 AttrSpec("base", .float, minimum: 0), AttrSpec("mode", .string, oneOf: ["interleaved", "half"]),
                                 AttrSpec("dims", .int, default: .int(0), minimum: 0)]

    /// RoPE with a frequency factor per pair (Llama 3.1 / 3.2's `rope_freqs.weight`):
    /// θ = pos · base^(−2i/dims) / factor[i].
    public static let ropeScaled = OpDefinition(
        name: "rope_scaled", inputs: ["x", "freq_factors"], attributes: ropeAttributes, tolerance: 1e-5,
        summary: "rotary position embedding with per-pair frequency factors (θ divided by factor[i])",
        inferTypes: { c in
            let y = try rope.inferTypes(ShapeContext(node: c.node, inputs: [c.inputs[0]], attributes: c.attributes))
            try c.require(1, [.f32], "freq_factors")
            let d = c.int("head_dim"), dims = c.int("dims") == 0 ? d : c.int("dims")
            guard c.inputs[1].shape == [.fixed(dims / 2)] else {
                throw c.fail("freq_factors has shape \(c.inputs[1]), expected [\(dims / 2)]")
            }
            return y
        },
        reference: { c in try rotate(c, factors: c.inputs[1].floats()) })

    public static let rope = OpDefinition(
        name: "rope", inputs: ["x"], attributes: ropeAttributes,
        tolerance: 1e-5,
        summary: "rotary position embedding; rows along dim 0 are positions P + t",
        inferTypes: { c in
            try c.require(0, [.f32], "x")
            let x = c.inputs[0], h = c.int("heads"), d = c.int("head_dim"), dims = c.int("dims")
            guard x.rank >= 2 else { throw c.fail("x must have rank ≥ 2") }
            let rest = x.shape.dropFirst().map(\.fixedValue)
            guard !rest.contains(nil), rest.reduce(1, { $0 * $1! }) == h * d else {
                throw c.fail("x's per-row size \(Array(x.shape.dropFirst())) must be heads·head_dim = \(h * d)")
            }
            guard d % 2 == 0, dims <= d, dims % 2 == 0 else { throw c.fail("head_dim and dims must be even, dims ≤ head_dim") }
            return [x]
        },
        reference: { c in try rotate(c, factors: nil) })

    /// The rotation of rope / rope_scaled (θ divided by factors[i] when given).
    static func rotate(_ c: ReferenceContext, factors: [Float]?) throws -> [HostTensor] {
        let x = c.inputs[0], h = c.int("heads"), d = c.int("head_dim"), base = c.double("base")
        let rot = c.int("dims") == 0 ? d : c.int("dims")
        let half = c.string("mode") == "half"
        var v = x.floats()
        let rows = x.shape[0]
        for t in 0..<rows {
            let pos = Double(c.past + t)
            for head in 0..<h {
                let o = (t * h + head) * d
                for i in 0..<(rot / 2) {
                    let theta = pos * Foundation.pow(base, -2.0 * Double(i) / Double(rot)) / Double(factors?[i] ?? 1)
                    let (a, b) = half ? (o + i, o + i + rot / 2) : (o + 2 * i, o + 2 * i + 1)
                    let xa = Double(v[a]), xb = Double(v[b])
                    v[a] = Float(xa * Foundation.cos(theta) - xb * Foundation.sin(theta))
                    v[b] = Float(xa * Foundation.sin(theta) + xb * Foundation.cos(theta))
                }
            }
        }
        return [HostTensor(f32: v, shape: x.shape)]
    }

    public static let attention = OpDefinition(
        name: "attention", inputs: ["q", "k", "v"],
        attributes: [AttrSpec("heads", .int, minimum: 1), AttrSpec("kv_heads", .int, minimum: 1),
                     AttrSpec("head_dim", .int, minimum: 1), AttrSpec("scale", .float),
                     AttrSpec("window", .int, default: .int(0), minimum: 0)],
        tolerance: 1e-4,
        summary: "causal softmax(scale·q·kᵀ)·v over the first P+T rows of k and v, grouped-query heads",
        inferTypes: { c in
            try c.require(0, [.f32], "q")
            // k and v: float32, or float16 (a half-precision KV cache).
            try c.require(1, [.f32, .f16], "k"); try c.require(2, [c.inputs[1].dtype], "v")
            for i in 0..<3 { try c.requireRank(i, 2...2, ["q", "k", "v"][i]) }
            let h = c.int("heads"), kvh = c.int("kv_heads"), d = c.int("head_dim")
            guard h % kvh == 0 else { throw c.fail("heads \(h) is not a multiple of kv_heads \(kvh)") }
            try c.requireEqual(c.inputs[0].shape[1], .fixed(h * d), "q row size must be heads·head_dim")
            try c.requireEqual(c.inputs[1].shape[1], .fixed(kvh * d), "k row size must be kv_heads·head_dim")
            try c.requireEqual(c.inputs[2].shape[1], .fixed(kvh * d), "v row size must be kv_heads·head_dim")
            try c.requireEqual(c.inputs[1].shape[0], c.inputs[2].shape[0], "k and v must have the same rows")
            return [c.inputs[0]]
        },
        reference: { c in
            let q = c.inputs[0].floats(), k = c.inputs[1].floats(), v = c.inputs[2].floats()
            let h = c.int("heads"), kvh = c.int("kv_heads"), d = c.int("head_dim")
            let scale = c.double("scale"), window = c.int("window")
            let rows = c.inputs[0].shape[0], s = c.inputs[1].shape[0]
            guard c.past + rows <= s else { throw c.fail("P + T = \(c.past + rows) exceeds the \(s) key rows") }
            var out = [Float](repeating: 0, count: rows * h * d)
            for t in 0..<rows {
                let p = c.past + t
                let first = window > 0 ? max(0, p - window + 1) : 0
                for head in 0..<h {
                    let g = head / (h / kvh)
                    var scores = [Double]()
                    for j in first...p {
                        var dot = 0.0
                        for i in 0..<d { dot += Double(q[(t * h + head) * d + i]) * Double(k[(j * kvh + g) * d + i]) }
                        scores.append(dot * scale)
                    }
                    let m = scores.max() ?? 0
                    let e = scores.map { Foundation.exp($0 - m) }
                    let z = e.reduce(0, +)
                    for i in 0..<d {
                        var acc = 0.0
                        for (n, j) in (first...p).enumerated() { acc += e[n] * Double(v[(j * kvh + g) * d + i]) }
                        out[(t * h + head) * d + i] = Float(acc / z)
                    }
                }
            }
            return [HostTensor(f32: out, shape: c.inputs[0].shape)]
        })

    public static let kvWrite = OpDefinition(
        name: "kv_write", inputs: ["cache", "x"], storage: .update(0),
        summary: "writes x into rows P..P+T−1 of cache (rounded to float16 for an f16 cache); the result is the cache itself",
        inferTypes: { c in
            try c.require(0, [.f32, .f16], "cache"); try c.require(1, [.f32], "x")
            try c.requireRank(0, 2...2, "cache"); try c.requireRank(1, 2...2, "x")
            try c.requireEqual(c.inputs[0].shape[1], c.inputs[1].shape[1], "cache and x row sizes")
            return [c.inputs[0]]
        },
        reference: { c in
            var cache = c.inputs[0].floats()
            let x = c.inputs[1].floats(), w = c.inputs[0].rowLength
            let rows = c.inputs[1].shape[0], cap = c.inputs[0].shape[0]
            guard c.past + rows <= cap else {
                throw c.fail("context full: P + T = \(c.past + rows) exceeds the cache's \(cap) rows")
            }
            for i in 0..<(rows * w) { cache[c.past * w + i] = x[i] }
            return [try HostTensor.encoded(cache, as: c.inputs[0].dtype, shape: c.inputs[0].shape)]
        })
}
