import Foundation
import SluiceGraph

/// The operators the fusion passes produce. Each is one `OpDefinition` (shape rule and a
/// reference implementation composed from the standard ops' references), registered in
/// `OpRegistry.shared` like any op written outside the core.
public enum FusedOps {
    nonisolated(unsafe) private static var done = false

    /// Registers the fused ops (idempotent).
    public static func register(in registry: OpRegistry = .shared) {
        if registry === OpRegistry.shared {
            if done { return }
            done = true
        }
        for d in all { registry.register(d) }
    }

    public static var all: [OpDefinition] { [addRMSNorm, addLayerNorm, qkvRope, matmulSwiGLU, GeGLU.op, HeadNormRope.op, PostNorm.op, SplitAttention.split, SplitArgmax.op] + NormPrologue.ops }

    static func ref(_ def: OpDefinition, _ c: ReferenceContext, _ inputs: [HostTensor], _ attrs: Attributes = [:]) throws -> [HostTensor] {
        try def.reference(ReferenceContext(node: c.node, inputs: inputs, attributes: attrs, bindings: c.bindings))
    }

    static func addNorm(_ name: String, _ norm: OpDefinition, params: Int) -> OpDefinition {
        OpDefinition(
            name: name, inputs: ["a", "b", "weight"] + (params == 2 ? ["bias"] : []),
            attributes: [AttrSpec("eps", .float, minimum: 0)], outputStorage: [.inPlace(0), .fresh], tolerance: 1e-5,
            summary: "sum = a + b and \(norm.name)(sum): the residual add and the next norm in one pass",
            inferTypes: { c in
                try c.require(0, [.f32], "a"); try c.require(1, [.f32], "b")
                guard c.inputs[0] == c.inputs[1] else { throw c.fail("a and b must have the same type") }
                let normCtx = ShapeContext(node: c.node, inputs: [c.inputs[0]] + c.inputs[2...], attributes: c.attributes)
                return [c.inputs[0]] + (try norm.inferTypes(normCtx))
            },
            reference: { c in
                let sum = try ref(ElementwiseOps.add, c, [c.inputs[0], c.inputs[1]])[0]
                return [sum] + (try ref(norm, c, [sum] + c.inputs[2...], c.attributes))
            })
    }

    public static let addRMSNorm = addNorm("add_rms_norm", NormOps.rmsNorm, params: 1)
    public static let addLayerNorm = addNorm("add_layer_norm", NormOps.layerNorm, params: 2)

    static let ropeAttributes = [AttrSpec("heads", .int, minimum: 1), AttrSpec("kv_heads", .int, minimum: 1),
                                 AttrSpec("head_dim", .int, minimum: 2), AttrSpec("base", .float, minimum: 0),
                                 AttrSpec("mode", .string, oneOf: ["interleaved", "half"]),
                                 AttrSpec("dims", .int, default: .int(0), minimum: 0)]

    /// x · [Wq; Wk; Wv]ᵀ in one matmul, RoPE on the q and k columns, k and v written into
    /// the caches at rows P..P+T−1. Outputs: q (rotated), the k cache, the v cache.
    public static let qkvRope = OpDefinition(
        name: "qkv_rope", inputs: ["x", "w_qkv", "k_cache", "v_cache"], attributes: ropeAttributes,
        outputStorage: [.fresh, .update(2), .update(3)], tolerance: 1e-4,
        summary: "Q/K/V projection over concatenated weights with RoPE and the cache writes in the epilogue",
        inferTypes: { c in
            let h = c.int("heads"), kvh = c.int("kv_heads"), d = c.int("head_dim")
            let mm = try LinearOps.matmul.inferTypes(ShapeContext(node: c.node, inputs: [c.inputs[0], c.inputs[1]], attributes: [:]))[0]
            guard c.inputs[0].rank == 2, mm.shape.last == .fixed((h + 2 * kvh) * d) else {
                throw c.fail("w_qkv must have (heads + 2·kv_heads)·head_dim = \((h + 2 * kvh) * d) rows and x rank 2")
            }
            try c.require(2, [.f32, .f16], "k_cache"); try c.require(3, [c.inputs[2].dtype], "v_cache")
            for i in 2...3 {
                try c.requireRank(i, 2...2, "cache")
                try c.requireEqual(c.inputs[i].shape[1], .fixed(kvh * d), "cache row size")
            }
            guard h % kvh == 0, c.int("dims") <= d else { throw c.fail("heads must be a multiple of kv_heads, dims ≤ head_dim") }
            return [TensorType(.f32, [c.inputs[0].shape[0], .fixed(h * d)]), c.inputs[2], c.inputs[3]]
        },
        reference: { c in
            let h = c.int("heads"), kvh = c.int("kv_heads"), d = c.int("head_dim")
            let y = try ref(LinearOps.matmul, c, [c.inputs[0], c.inputs[1]])[0].floats()
            let rows = c.inputs[0].shape[0], w = (h + 2 * kvh) * d
            func cols(_ from: Int, _ n: Int) -> HostTensor {
                var out = [Float](); out.reserveCapacity(rows * n)
                for r in 0..<rows { out += y[r * w + from ..< r * w + from + n] }
                return HostTensor(f32: out, shape: [rows, n])
            }
            var rope: Attributes = ["head_dim": .int(d), "base": c.attributes["base"]!, "mode": c.attributes["mode"]!, "dims": c.attributes["dims"]!]
            rope["heads"] = .int(h)
            let q = try ref(AttentionOps.rope, c, [cols(0, h * d)], rope)[0]
            rope["heads"] = .int(kvh)
            let k = try ref(AttentionOps.rope, c, [cols(h * d, kvh * d)], rope)[0]
            let kc = try ref(AttentionOps.kvWrite, c, [c.inputs[2], k])[0]
            let vc = try ref(AttentionOps.kvWrite, c, [c.inputs[3], cols((h + kvh) * d, kvh * d)])[0]
            return [q, kc, vc]
        })

    /// silu(x · Wgᵀ) · (x · Wuᵀ) with w_gu = [Wg; Wu] (gate rows first).
    public static let matmulSwiGLU = OpDefinition(
        name: "matmul_swiglu", inputs: ["x", "w_gate_up"], tolerance: 1e-4,
        summary: "gate and up projections over concatenated weights with SiLU(gate)·up in the epilogue",
        inferTypes: { c in
            let mm = try LinearOps.matmul.inferTypes(ShapeContext(node: c.node, inputs: c.inputs, attributes: [:]))[0]
            guard let n = mm.shape.last?.fixedValue, n % 2 == 0 else { throw c.fail("w_gate_up must have an even number of rows") }
            return [TensorType(.f32, Array(mm.shape.dropLast()) + [.fixed(n / 2)])]
        },
        reference: { c in
            let y = try ref(LinearOps.matmul, c, c.inputs)[0]
            let n = y.rowLength / 2, v = y.floats()
            var out = [Float](); out.reserveCapacity(y.rowCount * n)
            for r in 0..<y.rowCount {
                for j in 0..<n {
                    let g = v[r * 2 * n + j], u = v[r * 2 * n + n + j]
                    out.append(g / (1 + Foundation.exp(-g)) * u)
                }
            }
            return [HostTensor(f32: out, shape: Array(y.shape.dropLast()) + [n])]
        })
}

