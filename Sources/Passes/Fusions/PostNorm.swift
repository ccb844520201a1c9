import SluiceGraph

// Gemma's post-FFN norm: rms_norm(down) then the residual add and the next block's norm
// (add_rms_norm, after the add+norm fusion) — two dispatches — as one op with one kernel
// (Kernels/post_norm.comp). It runs after the norm-prologue fusion, so the add_rms_norms
// that fold into a matrix op (the post-attention norm's) keep that form.

public enum PostNorm {
    /// sum = a + rms_norm(b)·post_weight, y = rms_norm(sum)·weight.
    public static let op = OpDefinition(
        name: "add_post_rms_norm", inputs: ["a", "b", "post_weight", "weight"],
        attributes: [AttrSpec("eps", .float, minimum: 0), AttrSpec("post_eps", .float, minimum: 0)],
        outputStorage: [.inPlace(0), .fresh], tolerance: 1e-5,
        summary: "sum = a + rms_norm(b)·post_weight and rms_norm(sum)·weight: a block's output norm, the residual add and the next norm in one pass",
        inferTypes: { c in
            try c.require(0, [.f32], "a"); try c.require(1, [.f32], "b")
            guard c.inputs[0] == c.inputs[1] else { throw c.fail("a and b must have the same type") }
            guard let d = c.inputs[0].shape.last else { throw c.fail("a must have rank ≥ 1") }
            for (i, name) in [(2, "post_weight"), (3, "weight")] {
                try c.require(i, [.f32], name)
                guard c.inputs[i].shape == [d] else { throw c.fail("\(name) has shape \(c.inputs[i]), expected [\(d)]") }
            }
            return [c.inputs[0], c.inputs[0]]
        },
        reference: { c in
            let normed = try FusedOps.ref(NormOps.rmsNorm, c, [c.inputs[1], c.inputs[2]], ["eps": c.attributes["post_eps"]!])[0]
            return try FusedOps.ref(FusedOps.addRMSNorm, c, [c.inputs[0], normed, c.inputs[3]], ["eps": c.attributes["eps"]!])
        })

    /// add_rms_norm(a, rms_norm(b, pw), w) → add_post_rms_norm(a, b, pw, w), float32 weights.
    public static let pass = RewriteRule.pass("fuse-post-norm", "rms_norm + add_rms_norm → add_post_rms_norm", [
        RewriteRule(
            name: "post norm+add+norm",
            patterns: [.op("add_rms_norm", .any("a"), .op("rms_norm", .any("b"), .any("pw"), as: "post"), .any("w"), as: "n")],
            guards: [.singleUse("post"), Guard { m in m.type("pw").dtype == .f32 && m.type("w").dtype == .f32 }]) { m in
            let n = m.node("n")
            let attrs: Attributes = ["eps": n.attributes["eps"]!, "post_eps": m.node("post").attributes["eps"]!]
            return Replacement(nodes: [try m.make("add_post_rms_norm", [m["a"], m["b"], m["pw"], m["w"]], attrs,
                                                  outputs: n.outputs.map(\.name))])
        },
    ])
}
