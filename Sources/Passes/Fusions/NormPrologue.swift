import SluiceGraph

/// RMS norms folded into the prologue of the matrix op that consumes them: every workgroup
/// of the consumer normalizes its input rows itself, so the norm costs no dispatch and no
/// barrier. With the residual add in front (add_rms_norm) the consumer also writes the sum.
/// This brings a decoder layer's decode step down to five dependent dispatches. It applies
/// to one-row (decode) graphs: with many rows every workgroup would repeat the norm.
public enum NormPrologue {
    /// Matrix ops that take a prologue.
    static var consumers: [OpDefinition] { [LinearOps.matmul, FusedOps.qkvRope, FusedOps.matmulSwiGLU, GeGLU.op] }

    /// `rms_<op>(x, norm_weight, …)` and `add_rms_<op>(a, b, norm_weight, …)` for each consumer;
    /// the add form's first output is the sum a + b.
    public static var ops: [OpDefinition] { consumers.flatMap { [op($0, add: false), op($0, add: true)] } }

    static func op(_ consumer: OpDefinition, add: Bool) -> OpDefinition {
        let k = add ? 3 : 2
        let shifted = consumer.outputStorage.map { s -> OutputStorage in
            if case .update(let i) = s { return .update(i + k - 1) }
            return s
        }
        return OpDefinition(
            name: (add ? "add_rms_" : "rms_") + consumer.name,
            inputs: (add ? ["a", "b"] : ["x"]) + ["norm_weight"] + consumer.inputs.dropFirst(),
            attributes: consumer.attributes + [AttrSpec("eps", .float, minimum: 0)],
            outputStorage: (add ? [.fresh] : []) + shifted,
            tolerance: consumer.tolerance + 1e-5,
            summary: "\(consumer.name) with an RMS-norm prologue\(add ? " after the residual add (the sum is output 0)" : "")",
            inferTypes: { c in
                try c.require(0, [.f32], "x")
                if add { guard c.inputs[1] == c.inputs[0] else { throw c.fail("a and b must have the same type") } }
                try c.require(k - 1, [.f32], "norm weight")
                guard let d = c.inputs[0].shape.last, c.inputs[k - 1].shape == [d] else {
                    throw c.fail("the norm weight must be [last dim of x]")
                }
                let inner = ShapeContext(node: c.node, inputs: [c.inputs[0]] + c.inputs[k...], attributes: c.attributes)
                return (add ? [c.inputs[0]] : []) + (try consumer.inferTypes(inner))
            },
            reference: { c in
                var x = c.inputs[0]
                if add { x = try FusedOps.ref(ElementwiseOps.add, c, [c.inputs[0], c.inputs[1]])[0] }
                let n = try FusedOps.ref(NormOps.rmsNorm, c, [x, c.inputs[k - 1]], ["eps": c.attributes["eps"]!])[0]
                var attrs = c.attributes
                attrs["eps"] = nil
                let outs = try consumer.reference(ReferenceContext(node: c.node, inputs: [n] + c.inputs[k...],
                                                                   attributes: attrs, bindings: c.bindings))
                return (add ? [x] : []) + outs
            })
    }

    public static var pass: Pass {
        RewriteRule.pass("fuse-norm-prologue", "RMS norm (+ residual add) → prologue of the consuming matrix op",
                         consumers.flatMap { rules($0) })
    }

    static func rules(_ consumer: OpDefinition) -> [RewriteRule] {
        let rest = (1..<consumer.inputs.count).map { Pattern.any("in\($0)") }
        // Decode steps only (one row): there the norm's own dispatch and barrier cost more than
        // recomputing it in each workgroup; with many rows the recomputation dominates.
        let g: [Guard] = [.singleUse("n"), Guard { m in
            m.type("w").dtype == .f32 && Fusions.isWeight(m, "w") && m.type("n").rank == 2 && m.type("n").shape[0] == .fixed(1)
        }]
        let withAdd = RewriteRule(
            name: "add_rms_norm+\(consumer.name)",
            patterns: [.node(op: consumer.name, inputs: [.op("add_rms_norm", .any("a"), .any("b"), .any("w"), as: "n", output: 1)] + rest,
                             capture: "c", output: 0)],
            guards: g) { m in
            let norm = m.node("n"), c = m.node("c")
            let attrs = c.attributes.merging(["eps": norm.attributes["eps"]!]) { a, _ in a }
            return Replacement(nodes: [try m.make("add_rms_" + consumer.name, [m["a"], m["b"], m["w"]] + c.inputs.dropFirst(), attrs,
                                                  outputs: [norm.outputs[0].name] + c.outputs.map(\.name))])
        }
        let plain = RewriteRule(
            name: "rms_norm+\(consumer.name)",
            patterns: [.node(op: consumer.name, inputs: [.op("rms_norm", .any("x"), .any("w"), as: "n")] + rest, capture: "c", output: 0)],
            guards: g) { m in
            let c = m.node("c")
            let attrs = c.attributes.merging(["eps": m.node("n").attributes["eps"]!]) { a, _ in a }
            return Replacement(nodes: [try m.make("rms_" + consumer.name, [m["x"], m["w"]] + c.inputs.dropFirst(), attrs,
                                                  outputs: c.outputs.map(\.name))])
        }
        return [withAdd, plain]
    }
}
