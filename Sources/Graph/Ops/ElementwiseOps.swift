import Foundation

/// add, mul, scale, silu, gelu.
public enum ElementwiseOps {
    public static var all: [OpDefinition] { [add, mul, scale, silu, gelu] }

    /// `a ∘ b` with `b` the same shape as `a` or one row broadcast over `a`'s rows.
    static func binary(_ name: String, _ summary: String, _ f: @escaping @Sendable (Float, Float) -> Float) -> OpDefinition {
        OpDefinition(
            name: name, inputs: ["a", "b"], storage: .inPlace(0), summary: summary,
            inferTypes: { c in
                try c.require(0, [.f32], "a"); try c.require(1, [.f32], "b")
                let a = c.inputs[0], b = c.inputs[1]
                guard b.shape == a.shape || (b.rank == 1 && b.shape.last == a.shape.last) else {
                    throw c.fail("b has shape \(b), expected \(a) or [\(a.shape.last.map(\.description) ?? "")]")
                }
                return [a]
            },
            reference: { c in
                let a = c.inputs[0].floats(), b = c.inputs[1].floats()
                guard !b.isEmpty || a.isEmpty else { return [HostTensor(f32: a, shape: c.inputs[0].shape)] }
                var out = a
                for i in 0..<a.count { out[i] = f(a[i], b[i % b.count]) }
                return [HostTensor(f32: out, shape: c.inputs[0].shape)]
            })
    }

    static func unary(_ name: String, _ summary: String, attributes: [AttrSpec] = [],
                      _ f: @escaping @Sendable (ReferenceContext) -> (Float) -> Float) -> OpDefinition {
        OpDefinition(
            name: name, inputs: ["x"], attributes: attributes, storage: .inPlace(0), summary: summary,
            inferTypes: { c in try c.require(0, [.f32], "x"); return [c.inputs[0]] },
            reference: { c in
                let g = f(c)
                return [HostTensor(f32: c.inputs[0].floats().map(g), shape: c.inputs[0].shape)]
            })
    }

    public static let add = binary("add", "elementwise sum; a 1-D b broadcasts over rows", { $0 + $1 })
    public static let mul = binary("mul", "elementwise product; a 1-D b broadcasts over rows", { $0 * $1 })

    public static let scale = unary("scale", "x times a constant", attributes: [AttrSpec("value", .float)]) { c in
        let s = c.float("value"); return { $0 * s }
    }

    public static let silu = unary("silu", "x · sigmoid(x)") { _ in { x in x / (1 + Foundation.exp(-x)) } }

    public static let gelu = unary("gelu", "Gaussian error linear unit, tanh approximation or exact erf",
                                   attributes: [AttrSpec("approx", .string, default: .string("tanh"), oneOf: ["tanh", "erf"])]) { c in
        if c.string("approx") == "erf" {
            return { x in Float(0.5 * Double(x) * (1 + Foundation.erf(Double(x) / 2.0.squareRoot()))) }
        }
        return { x in
            let d = Double(x)
            return Float(0.5 * d * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (d + 0.044715 * d * d * d))))
        }
    }
}
