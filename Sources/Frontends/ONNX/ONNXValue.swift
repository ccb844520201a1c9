import Foundation

/// A value while an ONNX graph is being imported: its shape at the probe sizes, its element
/// kind, and its numbers when they are known at import time (constants, initializers small
/// enough to fold, shape arithmetic, masks and rotary tables). Values computed from the
/// token ids or the KV cache have no numbers: they become nodes of the Sluice graph.
struct ONNXValue {
    enum Kind { case float, int, bool }
    var shape: [Int]
    var kind: Kind
    var data: [Double]?
    /// The initializer this value is, when it is one (weights are read from it directly).
    var initializer: String?

    var count: Int { shape.reduce(1, *) }
    var isKnown: Bool { data != nil }

    init(shape: [Int], kind: Kind, data: [Double]?, initializer: String? = nil) {
        self.shape = shape; self.kind = kind; self.data = data; self.initializer = initializer
    }

    static func ints(_ v: [Int], shape: [Int]? = nil) -> ONNXValue {
        ONNXValue(shape: shape ?? [v.count], kind: .int, data: v.map(Double.init))
    }

    /// The known numbers as integers (Int64.max style sentinels clamp to Int.max/min).
    var intValues: [Int]? {
        data?.map { d in d >= 9.2e18 ? Int.max : d <= -9.2e18 ? Int.min : Int(d) }
    }

    /// Row-major strides.
    static func strides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        if shape.count > 1 { for i in stride(from: shape.count - 2, through: 0, by: -1) { s[i] = s[i + 1] * shape[i + 1] } }
        return s
    }

    /// NumPy broadcasting of two shapes, or nil when they do not broadcast.
    static func broadcast(_ a: [Int], _ b: [Int]) -> [Int]? {
        let n = max(a.count, b.count)
        let pa = Array(repeating: 1, count: n - a.count) + a, pb = Array(repeating: 1, count: n - b.count) + b
        var out: [Int] = []
        for (x, y) in zip(pa, pb) {
            if x == y || y == 1 { out.append(x) } else if x == 1 { out.append(y) } else { return nil }
        }
        return out
    }

    /// This value's numbers laid out in `shape` (which it broadcasts to).
    func expanded(to target: [Int]) -> [Double] {
        guard let data else { return [] }
        if shape == target { return data }
        let n = target.count
        let own = Array(repeating: 1, count: n - shape.count) + shape
        let ownStrides = Self.strides(own), tStrides = Self.strides(target)
        let total = target.reduce(1, *)
        var out = [Double](repeating: 0, count: total)
        for i in 0..<total {
            var rem = i, src = 0
            for d in 0..<n {
                let idx = rem / tStrides[d]; rem %= tStrides[d]
                if own[d] != 1 { src += idx * ownStrides[d] }
            }
            out[i] = data[src]
        }
        return out
    }
}

/// Errors while importing an ONNX graph name the node, its op type and the opset.
struct ONNXImportError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
