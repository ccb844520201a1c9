import Foundation
import SluiceGraph

// The worked example of README.md § "Writing a fusion pass": Gemma-style GeGLU,
// gelu(x·Wgᵀ) · (x·Wuᵀ), as one op with one kernel (Kernels/matmul_geglu.comp).

/// The fused op: its name, inputs, attributes, shape rule and reference implementation.
public enum GeGLU {
    public static let op = OpDefinition(
        name: "matmul_geglu", inputs: ["x", "w_gate_up"],
        attributes: [AttrSpec("approx", .string, default: .string("tanh"), oneOf: ["tanh", "erf"])],
        tolerance: 1e-4,
        summary: "gate and up projections over concatenated weights with GELU(gate)·up in the epilogue",
        inferTypes: { c in
            // Same shapes as the SwiGLU op: w_gate_up has 2F rows, the output F columns.
            try FusedOps.matmulSwiGLU.inferTypes(c)
        },
        reference: { c in
            // Compose the standard references: matmul, then gelu on the gate half, times the up half.
            let y = try LinearOps.matmul.reference(ReferenceContext(node: c.node, inputs: c.inputs, attributes: [:], bindings: c.bindings))[0]
            let f = y.rowLength / 2, v = y.floats()
            var gate: [Float] = [], up: [Float] = []
            for r in 0..<y.rowCount {
                gate += v[r * 2 * f ..< r * 2 * f + f]
                up += v[r * 2 * f + f ..< (r + 1) * 2 * f]
            }
            let shape = Array(y.shape.dropLast()) + [f]
            let g = try ElementwiseOps.gelu.reference(ReferenceContext(node: c.node, inputs: [HostTensor(f32: gate, shape: shape)],
                                                                      attributes: c.attributes, bindings: c.bindings))[0].floats()
            return [HostTensor(f32: zip(g, up).map(*), shape: shape)]
        })

    /// The rewrite: mul(gelu(matmul(x, Wg)), matmul(x, Wu)) → matmul_geglu(x, [Wg; Wu]).
    public static let pass = RewriteRule.pass("fuse-gate-up-gelu", "gate/up matmuls + GELU·mul → matmul_geglu", [
        RewriteRule(
            name: "gate+up+gelu",
            patterns: [.op("mul", .op("gelu", .op("matmul", .any("x"), .any("wg"), as: "g"), as: "act"),
                           .op("matmul", .any("x"), .any("wu"), as: "u"), as: "out")],
            // The intermediates must have no other use; both weights must be model weights of
            // one type (their concatenation is computed once, at load).
            guards: [.singleUse("g"), .singleUse("act"), .singleUse("u"),
                     Guard { m in Fusions.isWeight(m, "wg") && Fusions.isWeight(m, "wu") && m.type("wg") == m.type("wu") }]) { m in
            let (concat, w) = try Fusions.concatRows(&m, [m["wg"], m["wu"]], stem: m["wg"] + ".gate_up")
            let fused = try m.make("matmul_geglu", [m["x"], w], m.node("act").attributes, outputs: [m["out"]])
            return Replacement(nodes: concat + [fused])
        },
    ])
}
