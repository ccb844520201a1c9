import SluiceGraph

/// The fusion passes of the standard pipeline.
public enum Fusions {
    /// The value is a weight parameter (so a concatenation of it folds at load time).
    static func isWeight(_ m: Match, _ capture: String) -> Bool {
        m.graph.params.contains { $0.name == m[capture] && $0.kind == .weight }
    }

    /// `[a; b; …]` along rows as concat nodes over weights, folded once at load.
    static func concatRows(_ m: inout Match, _ names: [String], stem: String) throws -> ([Node], String) {
        var nodes: [Node] = []
        var acc = names[0]
        for (i, n) in names.dropFirst().enumerated() {
            let out = m.freshName(i == names.count - 2 ? stem : stem + ".part\(i)")
            let node = try m.make("concat", [acc, n], ["axis": .int(0)], outputs: [out])
            m.define(node)
            nodes.append(node)
            acc = out
        }
        return (nodes, acc)
    }

    /// Residual add + RMSNorm / LayerNorm → one op giving the sum and the normalized value.
    public static let addNorm = RewriteRule.pass("fuse-add-norm", "residual add + norm → add_rms_norm / add_layer_norm", [
        RewriteRule(name: "add+rms_norm",
                    patterns: [.op("rms_norm", .op("add", .any("a"), .any("b"), as: "sum"), .any("w"), as: "norm")],
                    guards: [Guard { $0.type("a") == $0.type("b") }]) { m in
            Replacement(nodes: [try m.make("add_rms_norm", [m["a"], m["b"], m["w"]], m.node("norm").attributes,
                                           outputs: [m["sum"], m["norm"]])])
        },
        RewriteRule(name: "add+layer_norm",
                    patterns: [.op("layer_norm", .op("add", .any("a"), .any("b"), as: "sum"), .any("w"), .any("bias"), as: "norm")],
                    guards: [Guard { $0.type("a") == $0.type("b") }]) { m in
            Replacement(nodes: [try m.make("add_layer_norm", [m["a"], m["b"], m["w"], m["bias"]], m.node("norm").attributes,
                                           outputs: [m["sum"], m["norm"]])])
        },
    ])

    /// Three projections of one input + RoPE on q and k + the two cache writes → qkv_rope.
    public static let qkvRope = RewriteRule.pass("fuse-qkv-rope", "Q/K/V matmuls + RoPE + cache writes → qkv_rope", [
        RewriteRule(
            name: "qkv+rope",
            patterns: [
                .op("kv_write", .any("k_cache"), .op("rope", .op("matmul", .any("x"), .any("wk"), as: "k"), as: "k_rot"), as: "kc"),
                .op("kv_write", .any("v_cache"), .op("matmul", .any("x"), .any("wv"), as: "v"), as: "vc"),
                .op("rope", .op("matmul", .any("x"), .any("wq"), as: "q"), as: "q_rot"),
            ],
            guards: [.singleUse("q"), .singleUse("k"), .singleUse("v"), .singleUse("k_rot"),
                     .sameAttributes("q_rot", "k_rot", except: ["heads"]),
                     Guard { m in ["wq", "wk", "wv"].allSatisfy { isWeight(m, $0) }
                         && m.type("wq").dtype == m.type("wk").dtype && m.type("wk").dtype == m.type("wv").dtype
                         && m.type("x").rank == 2 }]) { m in
            let (concat, w) = try concatRows(&m, [m["wq"], m["wk"], m["wv"]], stem: m["wq"] + ".qkv")
            let r = m.node("q_rot").attributes, hd = r["head_dim"]!.intValue!
            var attrs: Attributes = ["heads": r["heads"]!, "kv_heads": .int(m.type("wk").shape[0].fixedValue! / hd),
                                     "head_dim": r["head_dim"]!, "base": r["base"]!, "mode": r["mode"]!]
            if let d = r["dims"] { attrs["dims"] = d }
            let fused = try m.make("qkv_rope", [m["x"], w, m["k_cache"], m["v_cache"]], attrs, outputs: [m["q_rot"], m["kc"], m["vc"]])
            return Replacement(nodes: concat + [fused])
        },
    ])

    /// Gate and up projections of one input + SiLU(gate)·up → matmul_swiglu.
    public static let gateUpSiLU = RewriteRule.pass("fuse-gate-up-silu", "gate/up matmuls + SiLU·mul → matmul_swiglu", [
        RewriteRule(
            name: "gate+up+silu",
            patterns: [.op("mul", .op("silu", .op("matmul", .any("x"), .any("wg"), as: "g"), as: "s"),
                           .op("matmul", .any("x"), .any("wu"), as: "u"), as: "out")],
            guards: [.singleUse("g"), .singleUse("s"), .singleUse("u"),
                     Guard { m in isWeight(m, "wg") && isWeight(m, "wu") && m.type("wg") == m.type("wu") }]) { m in
            let (concat, w) = try concatRows(&m, [m["wg"], m["wu"]], stem: m["wg"] + ".gate_up")
            return Replacement(nodes: concat + [try m.make("matmul_swiglu", [m["x"], w], outputs: [m["out"]])])
        },
    ])
}
