import Foundation
import SluiceGraph

// Gemma 3's (and Qwen 3's, OLMo 2's) query/key norms: an RMS norm of every head, then RoPE —
// reshape, rms_norm, reshape, rope as four nodes and two dispatches — as one op with one kernel
// (Kernels/rope_norm.comp).

public enum HeadNormRope {
    /// rope(rms_norm of each head_dim-wide head of x, with weight w) in one pass over x.
    public static let op = OpDefinition(
        name: "rms_rope", inputs: ["x", "weight"],
        attributes: [AttrSpec("heads", .int, minimum: 1), AttrSpec("head_dim", .int, minimum: 2),
                     AttrSpec("base", .float, minimum: 0), AttrSpec("mode", .string, oneOf: ["interleaved", "half"]),
                     AttrSpec("dims", .int, default: .int(0), minimum: 0), AttrSpec("eps", .float, minimum: 0)],
        tolerance: 1e-5,
        summary: "RMS norm of every head (weight [head_dim]), then rotary position embedding",
        inferTypes: { c in
            let y = try AttentionOps.rope.inferTypes(ShapeContext(node: c.node, inputs: [c.inputs[0]], attributes: c.attributes))
            guard c.inputs[0].rank == 2 else { throw c.fail("x must have rank 2") }
            try c.require(1, [.f32, .f16, .bf16], "weight")
            guard c.inputs[1].shape == [.fixed(c.int("head_dim"))] else {
                throw c.fail("weight has shape \(c.inputs[1]), expected [\(c.int("head_dim"))]")
            }
            return y
        },
        reference: { c in
            let x = c.inputs[0], h = c.int("heads"), d = c.int("head_dim")
            var heads = x
            heads.shape = [x.shape[0] * h, d]
            var normed = try NormOps.rmsNorm.reference(ReferenceContext(node: c.node, inputs: [heads, c.inputs[1]],
                                                                       attributes: ["eps": c.attributes["eps"]!], bindings: c.bindings))[0]
            normed.shape = x.shape
            return try AttentionOps.rope.reference(ReferenceContext(node: c.node, inputs: [normed], attributes: c.attributes, bindings: c.bindings))
        })

    /// rope(reshape(rms_norm(reshape(x, [-1, heads, head_dim]), w), [-1, heads·head_dim])) → rms_rope(x, w).
    public static let pass = RewriteRule.pass("fuse-head-norm-rope", "per-head rms_norm + rope → rms_rope", [
        RewriteRule(
            name: "head norm+rope",
            patterns: [.op("rope", .op("reshape", .op("rms_norm", .op("reshape", .any("x"), as: "heads"), .any("w"), as: "normed"),
                                       as: "rows"), as: "out")],
            guards: [.singleUse("heads"), .singleUse("normed"), .singleUse("rows"),
                     Guard { m in
                         let r = m.node("out").attributes, h = r["heads"]?.intValue ?? 0, d = r["head_dim"]?.intValue ?? 0
                         return m.type("x").rank == 2 && m.type("x") == m.type("rows")
                             && Array(m.type("heads").shape.dropFirst()) == [.fixed(h), .fixed(d)]
                     }]) { m in
            var attrs = m.node("out").attributes
            attrs["eps"] = m.node("normed").attributes["eps"]
            return Replacement(nodes: [try m.make("rms_rope", [m["x"], m["w"]], attrs, outputs: [m["out"]])])
        },
    ])
}
