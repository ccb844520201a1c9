import Foundation
import SluiceGraph

/// Raising rotary embeddings and attention (with the KV cache and grouped-query repeats).
extension ONNXLowering {
    /// `x·cos + rotate_half(x)·sin` with `rotate_half(x) = Concat(-x[D/2:], x[:D/2])` and
    /// folded cos/sin tables, checked to be those of positions P+t with some base.
    mutating func rope(_ add: ONNXNode) throws -> Lowered? {
        let ins = add.inputs
        guard ins.count == 2 else { return nil }
        for (m1, m2) in [(ins[0], ins[1]), (ins[1], ins[0])] {
            guard let a = imp.node(producing: m1), a.opType == "Mul", let r = imp.node(producing: m2), r.opType == "Mul" else { continue }
            func split(_ n: ONNXNode) -> (dynamic: String, table: String)? {
                let c = n.inputs.filter(isConstant), d = n.inputs.filter { !isConstant($0) }
                return c.count == 1 && d.count == 1 ? (d[0], c[0]) : nil
            }
            guard let (x, cosName) = split(a), let (rotated, sinName) = split(r),
                  let cat = imp.node(producing: rotated), cat.opType == "Concat", cat.inputs.count == 2,
                  let neg = imp.node(producing: cat.inputs[0]), neg.opType == "Neg",
                  let hi = imp.node(producing: neg.inputs[0]), hi.opType == "Slice", hi.inputs[0] == x,
                  let lo = imp.node(producing: cat.inputs[1]), lo.opType == "Slice", lo.inputs[0] == x else { continue }
            let lx = try lower(x)
            guard case .headsT(let h, let d) = lx.layout else { throw Self.fail("\(label(add)): rotary embedding of a value laid out as \(lx.layout)") }
            guard try value(lo.outputs[0]).shape.last == d / 2, try value(hi.outputs[0]).shape.last == d / 2 else {
                throw Self.fail("\(label(add)): partial rotary embeddings are not supported")
            }
            let t = ONNXImporter.probeT
            let cosT = try value(cosName), sinT = try value(sinName)
            let target = [1, 1, t, d]
            guard let cb = ONNXValue.broadcast(cosT.shape, target), cb == target, ONNXValue.broadcast(sinT.shape, target) == target else {
                throw Self.fail("\(label(add)): rotary tables \(cosT.shape) do not broadcast over [1, heads, T, \(d)]")
            }
            var cv = cosT, sv = sinT
            cv.data = try numbers(cosName); sv.data = try numbers(sinName)
            let c = cv.expanded(to: target), s = sv.expanded(to: target)
            // Row t holds angle t·θ_i (positions 0..<T at the probe); θ_i = base^(-2i/D).
            let theta1 = atan2(s[d + 1], c[d + 1])
            let base = d >= 4 && theta1 > 0 ? pow(theta1, -Double(d) / 2) : 10000
            var ok = true
            for p in 0..<t { for i in 0..<d {
                let angle = Double(p) * pow(base, -2 * Double(i % (d / 2)) / Double(d))
                if abs(c[p * d + i] - cos(angle)) > 1e-4 || abs(s[p * d + i] - sin(angle)) > 1e-4 { ok = false }
            } }
            guard ok else { throw Self.fail("\(label(add)): the rotary tables are not those of base-\(base) rotary embeddings (scaled variants are not supported)") }
            for n in [a, r, cat, neg, hi, lo] { claimed.insert(imp.producers[n.outputs[0]]!) }
            ropeBase = ropeBase ?? base
            let y = try b.op("rope", [lx.ir], ["heads": .int(h), "head_dim": .int(d), "base": .float(base), "mode": .string("half")], name: "rot")
            return Lowered(ir: y, layout: .headsT(h, d), storedHeads: h)
        }
        return nil
    }

    /// `MatMul(Softmax(scores), V)` with `scores` a scaled, causally masked `MatMul(Q, Kᵀ)`.
    mutating func attention(_ n: ONNXNode) throws -> Lowered {
        guard n.opType == "MatMul" else { throw Self.fail("\(label(n)): the second operand is computed") }
        var probs = n.inputs[0]
        while let p = imp.node(producing: probs), p.opType == "Cast" || p.opType == "Identity" { claimed.insert(imp.producers[probs]!); probs = p.inputs[0] }
        guard let sm = imp.node(producing: probs), sm.opType == "Softmax" else {
            throw Self.fail("\(label(n)) multiplies two computed values and is not attention (no Softmax)")
        }
        let smShape = try value(probs).shape
        guard (sm.int("axis") ?? -1) == -1 || sm.int("axis") == smShape.count - 1, smShape.count == 4 else {
            throw Self.fail("node '\(sm.name)' (Softmax) is not over the last axis of [1, heads, T, S]")
        }
        claimed.insert(imp.producers[probs]!)
        // Scores: an elementwise region (scale, mask) over one product Q·Kᵀ.
        let (nodes, leaves) = region(sm.inputs[0])
        guard leaves.count == 1, let (mi, mm) = try? producer(leaves[0]), mm.opType == "MatMul" else {
            throw Self.fail("node '\(sm.name)' (Softmax): its scores are not a scaled and masked Q·Kᵀ")
        }
        claimed.insert(mi)
        claimed.formUnion(nodes)
        let sShape = try value(leaves[0]).shape
        let x = Self.sample(sShape.reduce(1, *), seed: 11)
        let y = nodes.isEmpty ? x : try evaluate(nodes, leaf: leaves[0], x: x, output: sm.inputs[0])
        let t = sShape[2], total = sShape[3], past = total - t
        var scale = y[0] / x[0]
        for i in 0..<y.count {
            let col = i % total, rowT = (i / total) % t
            if col <= rowT + past {
                if abs(y[i] - x[i] * scale) > 1e-6 * max(1, abs(y[i])) {
                    throw Self.fail("node '\(sm.name)' (Softmax): its scores are not Q·Kᵀ times one scale")
                }
            } else if y[i] > -1e4 {
                throw Self.fail("node '\(sm.name)' (Softmax): the mask is not causal")
            }
        }
        // Scalars folded into Q or Kᵀ.
        func peel(_ v: String) throws -> (String, Double) {
            var v = v, s = 1.0
            while let p = imp.node(producing: v), p.opType == "Mul" || p.opType == "Div" {
                let c = p.inputs.filter(isConstant), d = p.inputs.filter { !isConstant($0) }
                guard c.count == 1, d.count == 1, let k = try? numbers(c[0]), k.count == 1 else { break }
                if p.opType == "Div" { guard d[0] == p.inputs[0] else { break }; s /= k[0] } else { s *= k[0] }
                claimed.insert(imp.producers[v]!); v = d[0]
            }
            return (v, s)
        }
        let (qName, qs) = try peel(mm.inputs[0]), (kName, ks) = try peel(mm.inputs[1])
        scale *= qs * ks
        let q = try lower(qName), k = try lower(kName), v = try lower(n.inputs[1])
        guard case .headsT(let h, let d) = q.layout, case .keysT(let hk, let dk) = k.layout, case .headsT(let hv, let dv) = v.layout,
              h == hk, h == hv, d == dk, d == dv else {
            throw Self.fail("\(label(n)): attention operands are laid out as \(q.layout), \(k.layout), \(v.layout)")
        }
        let kvHeads = k.storedHeads > 0 ? k.storedHeads : h
        guard v.storedHeads == 0 || v.storedHeads == kvHeads, h % kvHeads == 0 else {
            throw Self.fail("\(label(n)): keys and values have different head counts")
        }
        let l = layers
        layers += 1
        if let a = attentionShape, a != (h, kvHeads, d) { throw Self.fail("\(label(n)): layers differ in attention shape") }
        attentionShape = (h, kvHeads, d)
        let kc = b.param("cache.k.\(l)", TensorType(.f32, [.symbol("C"), .fixed(kvHeads * d)]), kind: .state)
        let vc = b.param("cache.v.\(l)", TensorType(.f32, [.symbol("C"), .fixed(kvHeads * d)]), kind: .state)
        let kw = try b.op("kv_write", [kc, k.ir], name: "l\(l).k_cache")
        let vw = try b.op("kv_write", [vc, v.ir], name: "l\(l).v_cache")
        let att = try b.op("attention", [q.ir, kw, vw], ["heads": .int(h), "kv_heads": .int(kvHeads), "head_dim": .int(d), "scale": .float(scale)],
                           name: "l\(l).attn")
        return Lowered(ir: att, layout: .headsT(h, d), storedHeads: h)
    }

    /// Every node the logits depend on through computed values must have been lowered.
    func checkCoverage() throws {
        var seen: Set<String> = [], missing: [ONNXNode] = []
        var stack = [imp.logitsOutput]
        while let v = stack.popLast() {
            guard !v.isEmpty, !seen.contains(v), !isConstant(v), let i = imp.producers[v] else { continue }
            seen.insert(v)
            let n = imp.model.nodes[i]
            if !claimed.contains(i) { missing.append(n) }
            stack += n.inputs
        }
        if let n = missing.first {
            throw Self.fail("\(label(n)) and \(missing.count - 1) more nodes were not accounted for by the import")
        }
    }

    func config() throws -> TransformerConfig {
        guard let a = attentionShape, layers > 0 else { throw Self.fail("no attention found: not a decoder-only transformer") }
        let logits = try value(imp.logitsOutput).shape.last ?? 0
        var c = TransformerConfig(
            architecture: "onnx", vocabSize: logits, hidden: hidden > 0 ? hidden : a.heads * a.headDim, layers: layers,
            heads: a.heads, kvHeads: a.kvHeads, headDim: a.headDim,
            ffn: linearOutputs.filter { $0 != logits }.max() ?? 1,
            ropeBase: ropeBase ?? 10000, ropeMode: ropeBase == nil ? "none" : "half",
            normEps: normEps ?? 1e-5, contextLength: contextLength > 0 ? contextLength : 4096)
        c.norm = normKind ?? .rms
        c.activation = activation ?? .silu
        return c
    }
}
