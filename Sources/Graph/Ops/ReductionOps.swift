import Foundation

/// softmax and argmax over the last dimension.
public enum ReductionOps {
    public static var all: [OpDefinition] { [softmax, argmax] }

    public static let softmax = OpDefinition(
        name: "softmax", inputs: ["x"], storage: .inPlace(0), tolerance: 1e-5,
        summary: "exp(x − max) / Σ exp(x − max), per row",
        inferTypes: { c in try c.require(0, [.f32], "x"); try c.requireRank(0, 1...4, "x"); return [c.inputs[0]] },
        reference: { c in
            let x = c.inputs[0]
            var out = [Float](); out.reserveCapacity(x.elementCount)
            for r in 0..<x.rowCount {
                let row = x.row(r).map(Double.init)
                let m = row.max() ?? 0
                let e = row.map { Foundation.exp($0 - m) }
                let z = e.reduce(0, +)
                out += e.map { Float($0 / z) }
            }
            return [HostTensor(f32: out, shape: x.shape)]
        })

    public static let argmax = OpDefinition(
        name: "argmax", inputs: ["x"], summary: "index of the largest value per row (lowest index on ties)",
        inferTypes: { c in
            try c.require(0, [.f32], "x"); try c.requireRank(0, 1...4, "x")
            return [TensorType(.i32, Array(c.inputs[0].shape.dropLast()))]
        },
        reference: { c in
            let x = c.inputs[0]
            var out = [Int32]()
            for r in 0..<x.rowCount {
                let row = x.row(r)
                var best = 0
                for i in 1..<max(row.count, 1) where row[i] > row[best] { best = i }
                out.append(Int32(best))
            }
            return [HostTensor(i32: out, shape: Array(x.shape.dropLast()))]
        })
}
