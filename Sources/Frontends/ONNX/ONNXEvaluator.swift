import Foundation

/// Shapes and, where every input is known, numbers for the ONNX operators that decoder
/// exports use. One function per operator serves both constant folding and shape
/// propagation: an output has numbers only when its inputs do.
enum ONNXEvaluator {
    /// Operators this importer understands (the error for any other lists them).
    static let supported: Set<String> = [
        "Add", "Sub", "Mul", "Div", "Pow", "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual",
        "And", "Or", "Max", "Min", "Where", "Neg", "Sqrt", "Reciprocal", "Cos", "Sin", "Exp", "Tanh", "Erf",
        "Sigmoid", "Abs", "Not", "Cast", "Identity", "ReduceMean", "Shape", "Reshape", "Unsqueeze", "Squeeze",
        "Flatten", "Concat", "Slice", "Gather", "GatherND", "Transpose", "Expand", "Split", "Range",
        "ConstantOfShape", "Constant", "Trilu", "MatMul", "Gemm", "Softmax", "LayerNormalization",
    ]

    /// The most numbers one folded value may hold (a file cannot make the import allocate more).
    static let maxKnownElements = 1 << 24

    static func evaluate(_ n: ONNXNode, _ x: [ONNXValue?]) throws -> [ONNXValue] {
        let outputs = try evaluateUnchecked(n, x)
        for o in outputs where o.isKnown {
            guard o.shape.allSatisfy({ $0 >= 0 }), o.data!.count == o.shape.reduce(1, *) else {
                throw ONNXImportError("node '\(n.name)' (\(n.opType)): folded value of shape \(o.shape) is inconsistent")
            }
        }
        return outputs
    }

    /// Throws when folding a value of `shape` would exceed `maxKnownElements`.
    static func checkFoldable(_ n: ONNXNode, _ shape: [Int]) throws {
        var count = 1
        for d in shape {
            let (c, o) = count.multipliedReportingOverflow(by: max(d, 0))
            guard !o, c <= maxKnownElements else {
                throw ONNXImportError("node '\(n.name)' (\(n.opType)): a constant of shape \(shape) is too large to fold")
            }
            count = c
        }
    }

    static func evaluateUnchecked(_ n: ONNXNode, _ x: [ONNXValue?]) throws -> [ONNXValue] {
        func input(_ i: Int) throws -> ONNXValue {
            guard i < x.count, let v = x[i] else { throw ONNXImportError("node '\(n.name)' (\(n.opType)): input \(i) is missing") }
            return v
        }
        func known(_ i: Int) throws -> [Int] {
            guard let v = try input(i).intValues else {
                throw ONNXImportError("node '\(n.name)' (\(n.opType)): input \(i) must be known when the graph is imported")
            }
            return v
        }
        func axis(_ a: Int, _ rank: Int) throws -> Int {
            let r = a < 0 ? a + rank : a
            guard r >= 0 && r < max(rank, 1) else { throw ONNXImportError("node '\(n.name)' (\(n.opType)): axis \(a) out of range for rank \(rank)") }
            return r
        }
        switch n.opType {
        case "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min":
            return [try binary(n, try input(0), try input(1), kind: nil) { a, b in
                switch n.opType {
                case "Add": return a + b
                case "Sub": return a - b
                case "Mul": return a * b
                case "Div": return a / b
                case "Pow": return Foundation.pow(a, b)
                case "Max": return Swift.max(a, b)
                default: return Swift.min(a, b)
                }
            }]
        case "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "And", "Or":
            return [try binary(n, try input(0), try input(1), kind: .bool) { a, b in
                let r: Bool
                switch n.opType {
                case "Equal": r = a == b
                case "Less": r = a < b
                case "LessOrEqual": r = a <= b
                case "Greater": r = a > b
                case "GreaterOrEqual": r = a >= b
                case "And": r = a != 0 && b != 0
                default: r = a != 0 || b != 0
                }
                return r ? 1 : 0
            }]
        case "Where":
            let c = try input(0), a = try input(1), b = try input(2)
            guard let s1 = ONNXValue.broadcast(c.shape, a.shape), let s = ONNXValue.broadcast(s1, b.shape) else {
                throw ONNXImportError("node '\(n.name)' (Where): shapes \(c.shape), \(a.shape), \(b.shape) do not broadcast")
            }
            var out = ONNXValue(shape: s, kind: a.kind, data: nil)
            if c.isKnown && a.isKnown && b.isKnown {
                try checkFoldable(n, s)
                let cc = c.expanded(to: s), aa = a.expanded(to: s), bb = b.expanded(to: s)
                out.data = (0..<cc.count).map { cc[$0] != 0 ? aa[$0] : bb[$0] }
            }
            return [out]
        case "Neg", "Sqrt", "Reciprocal", "Cos", "Sin", "Exp", "Tanh", "Erf", "Sigmoid", "Abs", "Not", "Identity":
            var v = try input(0)
            v.initializer = nil
            if n.opType == "Not" { v.kind = .bool }
            v.data = v.data?.map { a in
                switch n.opType {
                case "Neg": return -a
                case "Sqrt": return a.squareRoot()
                case "Reciprocal": return 1 / a
                case "Cos": return Foundation.cos(a)
                case "Sin": return Foundation.sin(a)
                case "Exp": return Foundation.exp(a)
                case "Tanh": return Foundation.tanh(a)
                case "Erf": return Foundation.erf(a)
                case "Sigmoid": return 1 / (1 + Foundation.exp(-a))
                case "Abs": return Swift.abs(a)
                case "Not": return a == 0 ? 1 : 0
                default: return a
                }
            }
            return [v]
        case "Cast":
            var v = try input(0)
            v.initializer = nil
            switch n.int("to") ?? 1 {
            case 1, 10, 11, 16: v.kind = .float
            case 9: v.kind = .bool; v.data = v.data?.map { $0 != 0 ? 1 : 0 }
            default: v.kind = .int; v.data = v.data?.map { $0.rounded(.towardZero) }
            }
            return [v]
        case "ReduceMean":
            let v = try input(0)
            let axes = try (n.ints("axes") ?? (x.count > 1 && x[1] != nil ? known(1) : Array(0..<v.shape.count))).map { try axis($0, v.shape.count) }
            let keep = (n.int("keepdims") ?? 1) != 0
            var outShape = v.shape
            for a in axes { outShape[a] = 1 }
            var out = ONNXValue(shape: keep ? outShape : v.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element), kind: v.kind, data: nil)
            if let d = v.data {
                let st = ONNXValue.strides(v.shape), ost = ONNXValue.strides(outShape)
                var sums = [Double](repeating: 0, count: outShape.reduce(1, *))
                for i in 0..<d.count {
                    var rem = i, o = 0
                    for k in 0..<v.shape.count { let idx = rem / st[k]; rem %= st[k]; if outShape[k] != 1 { o += idx * ost[k] } }
                    sums[o] += d[i]
                }
                let m = Double(axes.reduce(1) { $0 * v.shape[$1] })
                out.data = sums.map { $0 / m }
            }
            return [out]
        case "Shape":
            let s = try input(0).shape
            var lo = n.int("start") ?? 0, hi = n.int("end") ?? s.count
            if lo < 0 { lo += s.count }; if hi < 0 { hi += s.count }
            lo = Swift.max(0, Swift.min(lo, s.count)); hi = Swift.max(lo, Swift.min(hi, s.count))
            return [.ints(Array(s[lo..<hi]))]
        case "Reshape":
            var v = try input(0)
            let target = try known(1)
            let allowZero = (n.int("allowzero") ?? 0) != 0
            var shape = target.enumerated().map { i, d in d == 0 && !allowZero && i < v.shape.count ? v.shape[i] : d }
            if let m = shape.firstIndex(of: -1) {
                let rest = shape.enumerated().filter { $0.offset != m }.reduce(1) { $0 * $1.element }
                guard rest > 0, v.count % rest == 0 else { throw ONNXImportError("node '\(n.name)' (Reshape): \(v.shape) cannot become \(target)") }
                shape[m] = v.count / rest
            }
            guard shape.reduce(1, *) == v.count, shape.allSatisfy({ $0 >= 0 }) else {
                throw ONNXImportError("node '\(n.name)' (Reshape): \(v.shape) cannot become \(target)")
            }
            v.shape = shape; v.initializer = nil
            return [v]
        case "Unsqueeze":
            var v = try input(0)
            let axes = try n.ints("axes") ?? known(1)
            let rank = v.shape.count + axes.count
            for a in try axes.map({ try axis($0, rank) }).sorted() { v.shape.insert(1, at: a) }
            v.initializer = nil
            return [v]
        case "Squeeze":
            var v = try input(0)
            let given = try n.ints("axes") ?? (x.count > 1 && x[1] != nil ? known(1) : nil)
            let axes = try given.map { try $0.map { try axis($0, v.shape.count) } } ?? v.shape.indices.filter { v.shape[$0] == 1 }
            v.shape = v.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
            v.initializer = nil
            return [v]
        case "Flatten":
            var v = try input(0)
            let a = try axis(n.int("axis") ?? 1, v.shape.count + 1)
            v.shape = [v.shape[..<a].reduce(1, *), v.shape[a...].reduce(1, *)]
            v.initializer = nil
            return [v]
        case "Concat":
            let vs = try x.indices.map { try input($0) }.filter { $0.count > 0 || $0.shape.count > 0 }
            guard let first = vs.first else { throw ONNXImportError("node '\(n.name)' (Concat): no inputs") }
            let a = try axis(n.int("axis") ?? 0, first.shape.count)
            var shape = first.shape
            shape[a] = vs.reduce(0) { $0 + $1.shape[a] }
            var out = ONNXValue(shape: shape, kind: first.kind, data: nil)
            if vs.allSatisfy(\.isKnown) {
                try checkFoldable(n, shape)
                let outer = shape[..<a].reduce(1, *)
                var d: [Double] = []
                d.reserveCapacity(shape.reduce(1, *))
                for o in 0..<outer {
                    for v in vs { let inner = v.shape[a...].reduce(1, *); d += v.data![(o * inner)..<((o + 1) * inner)] }
                }
                out.data = d
            }
            return [out]
        case "Slice":
            let v = try input(0)
            let starts = try known(1), ends = try known(2)
            let axes = x.count > 3 && x[3] != nil ? try known(3) : Array(0..<starts.count)
            let steps = x.count > 4 && x[4] != nil ? try known(4) : Array(repeating: 1, count: starts.count)
            var ranges = v.shape.map { Array(0..<$0) }
            for (k, a0) in axes.enumerated() {
                let a = try axis(a0, v.shape.count), dim = v.shape[a], step = steps[k]
                guard step != 0 else { throw ONNXImportError("node '\(n.name)' (Slice): step 0") }
                func clamp(_ i: Int, _ lo: Int, _ hi: Int) -> Int { Swift.max(lo, Swift.min(hi, i < 0 ? (i == Int.min ? lo : i + dim) : i)) }
                if step > 0 {
                    ranges[a] = Array(stride(from: clamp(starts[k], 0, dim), to: clamp(ends[k], 0, dim), by: step))
                } else {
                    ranges[a] = Array(stride(from: clamp(starts[k], -1, dim - 1), to: clamp(ends[k], -1, dim - 1), by: step))
                }
            }
            return [gatherIndices(v, ranges)]
        case "Gather":
            let data = try input(0), idx = try input(1)
            let a = try axis(n.int("axis") ?? 0, data.shape.count)
            let shape = Array(data.shape[..<a]) + idx.shape + Array(data.shape[(a + 1)...])
            var out = ONNXValue(shape: shape, kind: data.kind, data: nil)
            if let ids = idx.intValues, let d = data.data {
                try checkFoldable(n, shape)
                let outer = data.shape[..<a].reduce(1, *), inner = data.shape[(a + 1)...].reduce(1, *), dim = data.shape[a]
                var r: [Double] = []
                for o in 0..<outer {
                    for i in ids {
                        let j = i < 0 ? i + dim : i
                        guard j >= 0 && j < dim else { throw ONNXImportError("node '\(n.name)' (Gather): index \(i) outside \(dim)") }
                        r += d[((o * dim + j) * inner)..<((o * dim + j + 1) * inner)]
                    }
                }
                out.data = r
            }
            return [out]
        case "GatherND":
            let data = try input(0), idx = try input(1)
            guard (n.int("batch_dims") ?? 0) == 0, let m = idx.shape.last, m <= data.shape.count else {
                throw ONNXImportError("node '\(n.name)' (GatherND): only batch_dims 0 is supported")
            }
            let lead = Array(idx.shape.dropLast()), inner = Array(data.shape[m...])
            var out = ONNXValue(shape: lead + inner, kind: data.kind, data: nil)
            if let ids = idx.intValues, let d = data.data {
                try checkFoldable(n, lead + inner)
                let st = ONNXValue.strides(data.shape), size = inner.reduce(1, *)
                var r: [Double] = []
                for q in 0..<(ids.count / m) {
                    var off = 0
                    for k in 0..<m { let i = ids[q * m + k]; off += (i < 0 ? i + data.shape[k] : i) * st[k] }
                    r += d[off..<(off + size)]
                }
                out.data = r
            }
            return [out]
        case "Transpose":
            let v = try input(0)
            let perm = n.ints("perm") ?? Array(v.shape.indices.reversed())
            var out = ONNXValue(shape: perm.map { v.shape[$0] }, kind: v.kind, data: nil)
            if let d = v.data {
                let st = ONNXValue.strides(v.shape), ost = ONNXValue.strides(out.shape)
                var r = [Double](repeating: 0, count: d.count)
                for i in 0..<d.count {
                    var rem = i, src = 0
                    for k in 0..<perm.count { let idx = rem / ost[k]; rem %= ost[k]; src += idx * st[perm[k]] }
                    r[i] = d[src]
                }
                out.data = r
            }
            return [out]
        case "Expand":
            let v = try input(0)
            guard let s = ONNXValue.broadcast(v.shape, try known(1)) else { throw ONNXImportError("node '\(n.name)' (Expand): \(v.shape) does not broadcast") }
            if v.isKnown { try checkFoldable(n, s) }
            return [ONNXValue(shape: s, kind: v.kind, data: v.isKnown ? v.expanded(to: s) : nil)]
        case "Split":
            let v = try input(0)
            let a = try axis(n.int("axis") ?? 0, v.shape.count)
            let sizes = try n.ints("split") ?? (x.count > 1 && x[1] != nil ? known(1)
                : Array(repeating: v.shape[a] / n.outputs.count, count: n.outputs.count))
            var start = 0
            return sizes.map { size in
                var ranges = v.shape.map { Array(0..<$0) }
                ranges[a] = Array(start..<(start + size)); start += size
                return gatherIndices(v, ranges)
            }
        case "Range":
            let s = try input(0), l = try input(1), d = try input(2)
            guard let a = s.data?.first, let b = l.data?.first, let step = d.data?.first, step != 0 else {
                throw ONNXImportError("node '\(n.name)' (Range): bounds must be known when the graph is imported")
            }
            let count = Swift.max(0, Int(((b - a) / step).rounded(.up)))
            guard count <= 1 << 24 else { throw ONNXImportError("node '\(n.name)' (Range): \(count) elements") }
            return [ONNXValue(shape: [count], kind: s.kind, data: (0..<count).map { a + Double($0) * step })]
        case "ConstantOfShape":
            let shape = try known(0)
            guard shape.allSatisfy({ $0 >= 0 }), (try? checkFoldable(n, shape)) != nil else { throw ONNXImportError("node '\(n.name)' (ConstantOfShape): shape \(shape)") }
            var fill = 0.0, kind = ONNXValue.Kind.float
            if case .tensor(let t)? = n.attributes["value"] { fill = Double(t.floats().first ?? 0); kind = t.type.isFloat ? .float : .int }
            return [ONNXValue(shape: shape, kind: kind, data: Array(repeating: fill, count: shape.reduce(1, *)))]
        case "Constant":
            switch n.attributes["value"] ?? n.attributes.values.first {
            case .tensor(let t)?: return [ONNXValue(shape: t.dims, kind: t.type.isFloat ? .float : .int, data: t.floats().map(Double.init))]
            case .float(let f)?: return [ONNXValue(shape: [], kind: .float, data: [Double(f)])]
            case .int(let i)?: return [ONNXValue(shape: [], kind: .int, data: [Double(i)])]
            case .floats(let f)?: return [ONNXValue(shape: [f.count], kind: .float, data: f.map(Double.init))]
            case .ints(let i)?: return [.ints(i)]
            default: throw ONNXImportError("node '\(n.name)' (Constant): unsupported value attribute")
            }
        case "Trilu":
            var v = try input(0)
            let k = x.count > 1 && x[1] != nil ? try known(1)[0] : 0
            let upper = (n.int("upper") ?? 1) != 0
            if var d = v.data, v.shape.count >= 2 {
                let r = v.shape[v.shape.count - 2], c = v.shape[v.shape.count - 1]
                for i in 0..<d.count {
                    let row = (i / c) % r, col = i % c
                    if upper ? col - row < k : col - row > k { d[i] = 0 }
                }
                v.data = d
            }
            v.initializer = nil
            return [v]
        case "MatMul":
            return [try matmul(n, try input(0), try input(1))]
        case "Gemm":
            let a = try input(0), b = try input(1)
            guard a.shape.count == 2, b.shape.count == 2, (n.int("transA") ?? 0) == 0 else {
                throw ONNXImportError("node '\(n.name)' (Gemm): only 2-D inputs without transA are supported")
            }
            let cols = (n.int("transB") ?? 0) != 0 ? b.shape[0] : b.shape[1]
            return [ONNXValue(shape: [a.shape[0], cols], kind: .float, data: nil)]
        case "Softmax", "LayerNormalization":
            var v = try input(0); v.data = nil; v.initializer = nil
            return [v]
        default:
            throw ONNXImportError("node '\(n.name)': operator \(n.domain.isEmpty ? "" : n.domain + ".")\(n.opType) is not supported")
        }
    }

    static func binary(_ n: ONNXNode, _ a: ONNXValue, _ b: ONNXValue, kind: ONNXValue.Kind?,
                       _ f: (Double, Double) -> Double) throws -> ONNXValue {
        guard let s = ONNXValue.broadcast(a.shape, b.shape) else {
            throw ONNXImportError("node '\(n.name)' (\(n.opType)): shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        let k = kind ?? (a.kind == .float || b.kind == .float ? .float : a.kind)
        var out = ONNXValue(shape: s, kind: k, data: nil)
        if a.isKnown && b.isKnown {
            try checkFoldable(n, s)
            let x = a.expanded(to: s), y = b.expanded(to: s)
            let intDiv = n.opType == "Div" && k != .float
            out.data = (0..<x.count).map { intDiv ? (x[$0] / y[$0]).rounded(.towardZero) : f(x[$0], y[$0]) }
        }
        return out
    }

    /// Picks `ranges[axis]` indices along every axis (Slice, Split).
    static func gatherIndices(_ v: ONNXValue, _ ranges: [[Int]]) -> ONNXValue {
        var out = ONNXValue(shape: ranges.map(\.count), kind: v.kind, data: nil)
        if let d = v.data {
            let st = ONNXValue.strides(v.shape), ost = ONNXValue.strides(out.shape)
            out.data = (0..<out.count).map { i in
                var rem = i, src = 0
                for k in 0..<ranges.count { let idx = rem / ost[k]; rem %= ost[k]; src += ranges[k][idx] * st[k] }
                return d[src]
            }
        }
        return out
    }

    static func matmul(_ n: ONNXNode, _ a: ONNXValue, _ b: ONNXValue) throws -> ONNXValue {
        let a2 = a.shape.count == 1 ? [1] + a.shape : a.shape, b2 = b.shape.count == 1 ? b.shape + [1] : b.shape
        guard a2.count >= 2, b2.count >= 2, a2[a2.count - 1] == b2[b2.count - 2],
              let batch = ONNXValue.broadcast(Array(a2.dropLast(2)), Array(b2.dropLast(2))) else {
            throw ONNXImportError("node '\(n.name)' (MatMul): shapes \(a.shape) and \(b.shape) do not multiply")
        }
        let m = a2[a2.count - 2], k = a2[a2.count - 1], p = b2[b2.count - 1]
        var shape = batch + [m, p]
        if a.shape.count == 1 { shape.remove(at: shape.count - 2) }
        if b.shape.count == 1 { shape.removeLast() }
        var out = ONNXValue(shape: shape, kind: .float, data: nil)
        if a.isKnown && b.isKnown {
            try checkFoldable(n, batch + [m, max(k, p)])
            let av = ONNXValue(shape: a2, kind: a.kind, data: a.data).expanded(to: batch + [m, k])
            let bv = ONNXValue(shape: b2, kind: b.kind, data: b.data).expanded(to: batch + [k, p])
            let nb = batch.reduce(1, *)
            var r = [Double](repeating: 0, count: nb * m * p)
            for q in 0..<nb { for i in 0..<m { for j in 0..<p {
                var s = 0.0
                for t in 0..<k { s += av[q * m * k + i * k + t] * bv[q * k * p + t * p + j] }
                r[q * m * p + i * p + j] = s
            } } }
            out.data = r
        }
        return out
    }
}
