import Foundation

/// rms_norm and layer_norm over the last dimension.
public enum NormOps {
    public static var all: [OpDefinition] { [rmsNorm, layerNorm] }

    static func checkRows(_ c: ShapeContext, params: Int) throws -> [TensorType] {
        try c.require(0, [.f32], "x")
        guard let d = c.inputs[0].shape.last else { throw c.fail("x must have rank ≥ 1") }
        for i in 1...params {
            try c.require(i, [.f32, .f16, .bf16], i == 1 ? "weight" : "bias")
            guard c.inputs[i].shape == [d] else { throw c.fail("input \(i) has shape \(c.inputs[i]), expected [\(d)]") }
        }
        return [c.inputs[0]]
    }

    public static let rmsNorm = OpDefinition(
        name: "rms_norm", inputs: ["x", "weight"], attributes: [AttrSpec("eps", .float, minimum: 0)],
        storage: .inPlace(0), tolerance: 1e-5, summary: "x / sqrt(mean(x²) + eps) · weight, per row",
        inferTypes: { try checkRows($0, params: 1) },
        reference: { c in
            let x = c.inputs[0], w = c.inputs[1].floats(), eps = c.double("eps")
            var out = [Float](); out.reserveCapacity(x.elementCount)
            for r in 0..<x.rowCount {
                let row = x.row(r)
                let ms = row.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(row.count)
                let inv = 1 / (ms + eps).squareRoot()
                for (i, v) in row.enumerated() { out.append(Float(Double(v) * inv) * w[i]) }
            }
            return [HostTensor(f32: out, shape: x.shape)]
        })

    public static let layerNorm = OpDefinition(
        name: "layer_norm", inputs: ["x", "weight", "bias"], attributes: [AttrSpec("eps", .float, minimum: 0)],
        storage: .inPlace(0), tolerance: 1e-5, summary: "(x − mean) / sqrt(var + eps) · weight + bias, per row",
        inferTypes: { try checkRows($0, params: 2) },
        reference: { c in
            let x = c.inputs[0], w = c.inputs[1].floats(), b = c.inputs[2].floats(), eps = c.double("eps")
            var out = [Float](); out.reserveCapacity(x.elementCount)
            for r in 0..<x.rowCount {
                let row = x.row(r).map(Double.init)
                let mean = row.reduce(0, +) / Double(row.count)
                let v = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(row.count)
                let inv = 1 / (v + eps).squareRoot()
                for (i, e) in row.enumerated() { out.append(Float((e - mean) * inv) * w[i] + b[i]) }
            }
            return [HostTensor(f32: out, shape: x.shape)]
        })
}
