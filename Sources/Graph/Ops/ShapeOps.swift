/// reshape, slice and concat.
public enum ShapeOps {
    public static var all: [OpDefinition] { [reshape, slice, concat] }

    /// Output dims of a reshape, or nil when they can't be determined.
    static func reshaped(_ input: [Dim], _ target: [Int]) -> [Dim]? {
        guard target.filter({ $0 == -1 }).count <= 1, !target.contains(where: { $0 < -1 }) else { return nil }
        let fixed = input.map(\.fixedValue)
        if !fixed.contains(nil) {
            let total = fixed.reduce(1) { $0 * $1! }
            let known = target.filter { $0 != -1 }.reduce(1, *)
            if target.contains(-1) {
                guard known > 0, total % known == 0 else { return nil }
                return target.map { .fixed($0 == -1 ? total / known : $0) }
            }
            return known == total ? target.map { .fixed($0) } : nil
        }
        // Symbolic leading dim: it must be kept as the leading -1.
        guard target.first == -1, !input.dropFirst().map(\.fixedValue).contains(nil) else { return nil }
        let restIn = input.dropFirst().reduce(1) { $0 * $1.fixedValue! }
        guard restIn == target.dropFirst().reduce(1, *) else { return nil }
        return [input[0]] + target.dropFirst().map { .fixed($0) }
    }

    public static let reshape = OpDefinition(
        name: "reshape", inputs: ["x"], attributes: [AttrSpec("shape", .ints)], storage: .view(0),
        summary: "same values, new shape; -1 stands for the (possibly symbolic) leading dim",
        inferTypes: { c in
            guard let dims = reshaped(c.inputs[0].shape, c.ints("shape")) else {
                throw c.fail("cannot reshape \(c.inputs[0]) to \(c.ints("shape"))")
            }
            return [TensorType(c.inputs[0].dtype, dims)]
        },
        reference: { c in
            let x = c.inputs[0]
            let dims = reshaped(x.shape.map { .fixed($0) }, c.ints("shape"))!.map { $0.fixedValue! }
            var y = x; y.shape = dims
            return [y]
        })

    /// (start, length) of a slice along a dim of size `n`, Python-style; nil when out of range.
    static func range(start: Int, end: Int, size n: Int) -> (Int, Int)? {
        let s = start < 0 ? n + start : start
        let e = end == 0 && start < 0 ? n : (end < 0 ? n + end : end)
        guard s >= 0, e <= n, s <= e else { return nil }
        return (s, e - s)
    }

    public static let slice = OpDefinition(
        name: "slice", inputs: ["x"],
        attributes: [AttrSpec("axis", .int, minimum: 0), AttrSpec("start", .int), AttrSpec("end", .int)],
        summary: "rows start..<end along axis; negative counts from the end, end 0 after a negative start means the end",
        inferTypes: { c in
            let x = c.inputs[0], axis = c.int("axis"), s = c.int("start"), e = c.int("end")
            guard axis < x.rank else { throw c.fail("axis \(axis) out of range for rank \(x.rank)") }
            var shape = x.shape
            switch x.shape[axis] {
            case .fixed(let n):
                guard let (_, len) = range(start: s, end: e, size: n) else { throw c.fail("slice \(s)..<\(e) out of range for \(n)") }
                shape[axis] = .fixed(len)
            case .symbol:
                if s < 0 && e == 0 { shape[axis] = .fixed(-s) }
                else if s >= 0 && e > s { shape[axis] = .fixed(e - s) }
                else { throw c.fail("slice \(s)..<\(e) of a symbolic dim needs a negative start with end 0, or 0 ≤ start < end") }
            }
            return [TensorType(x.dtype, shape)]
        },
        reference: { c in
            let x = c.inputs[0], axis = c.int("axis")
            guard let (start, len) = range(start: c.int("start"), end: c.int("end"), size: x.shape[axis]) else {
                throw c.fail("slice out of range for dim \(x.shape[axis])")
            }
            let outer = x.shape[..<axis].reduce(1, *), inner = x.shape[(axis + 1)...].reduce(1, *)
            let v = x.floats()
            var out = [Float](); out.reserveCapacity(outer * len * inner)
            for o in 0..<outer {
                let base = (o * x.shape[axis] + start) * inner
                out += v[base ..< base + len * inner]
            }
            var shape = x.shape; shape[axis] = len
            return [x.dtype == .i32 ? HostTensor(i32: out.map { Int32($0) }, shape: shape) : HostTensor(f32: out, shape: shape)]
        })

    public static let concat = OpDefinition(
        name: "concat", inputs: ["a", "b"], attributes: [AttrSpec("axis", .int, minimum: 0)],
        summary: "a and b joined along axis (any dtype along axis 0: whole rows, e.g. weight matrices)",
        inferTypes: { c in
            let a = c.inputs[0], b = c.inputs[1], axis = c.int("axis")
            guard a.dtype == b.dtype else { throw c.fail("concat needs inputs of one dtype, got \(a.dtype.rawValue) and \(b.dtype.rawValue)") }
            guard a.dtype == .f32 || axis == 0 else { throw c.fail("concat of \(a.dtype.rawValue) works along axis 0 only") }
            guard a.rank == b.rank, axis < a.rank else { throw c.fail("ranks \(a.rank), \(b.rank) and axis \(axis) don't fit") }
            for i in 0..<a.rank where i != axis { try c.requireEqual(a.shape[i], b.shape[i], "dim \(i)") }
            guard let x = a.shape[axis].fixedValue, let y = b.shape[axis].fixedValue else {
                throw c.fail("concat axis \(axis) must have fixed sizes")
            }
            var s = a.shape; s[axis] = .fixed(x + y)
            return [TensorType(a.dtype, s)]
        },
        reference: { c in
            let a = c.inputs[0], b = c.inputs[1], axis = c.int("axis")
            if case .raw(let ab) = a.storage, case .raw(let bb) = b.storage {
                var s = a.shape; s[0] += b.shape[0]
                return [try HostTensor(dtype: a.dtype, shape: s, bytes: ByteBuffer(Array(ab.bytes) + Array(bb.bytes)))]
            }
            let outer = a.shape[..<axis].reduce(1, *), inner = a.shape[(axis + 1)...].reduce(1, *)
            let av = a.floats(), bv = b.floats(), la = a.shape[axis] * inner, lb = b.shape[axis] * inner
            var out = [Float](); out.reserveCapacity(av.count + bv.count)
            for o in 0..<outer { out += av[o * la ..< (o + 1) * la]; out += bv[o * lb ..< (o + 1) * lb] }
            var s = a.shape; s[axis] += b.shape[axis]
            return [HostTensor(f32: out, shape: s)]
        })
}
