/// embedding lookup and matmul against weight matrices stored [N, K] in any dtype.
public enum LinearOps {
    public static var all: [OpDefinition] { [embedding, matmul] }

    static let weightTypes: Set<DType> = Set(DType.allCases).subtracting([.i32])

    public static let embedding = OpDefinition(
        name: "embedding", inputs: ["table", "ids"], summary: "rows of table selected by ids, as f32",
        inferTypes: { c in
            try c.require(0, weightTypes, "table"); try c.requireRank(0, 2...2, "table")
            try c.require(1, [.i32], "ids")
            return [TensorType(.f32, c.inputs[1].shape + [c.inputs[0].shape[1]])]
        },
        reference: { c in
            let table = c.inputs[0], ids = c.inputs[1].ints()
            var out = [Float](); out.reserveCapacity(ids.count * table.rowLength)
            for id in ids {
                guard id >= 0, Int(id) < table.rowCount else {
                    throw c.fail("token id \(id) outside the table's \(table.rowCount) rows")
                }
                out += table.row(Int(id))
            }
            return [HostTensor(f32: out, shape: c.inputs[1].shape + [table.rowLength])]
        })

    public static let matmul = OpDefinition(
        name: "matmul", inputs: ["x", "w"], tolerance: 1e-4,
        summary: "x[..., K] · wᵀ for w stored [N, K] (N rows of K values), f32 accumulation",
        inferTypes: { c in
            try c.require(0, [.f32], "x"); try c.requireRank(0, 1...4, "x")
            try c.require(1, weightTypes, "w"); try c.requireRank(1, 2...2, "w")
            let x = c.inputs[0], w = c.inputs[1]
            try c.requireEqual(x.shape.last!, w.shape[1], "x's last dim must equal w's K")
            if let k = w.shape[1].fixedValue, k % w.dtype.blockSize != 0 {
                throw c.fail("K = \(k) is not a multiple of \(w.dtype.rawValue)'s block size \(w.dtype.blockSize)")
            }
            return [TensorType(.f32, Array(x.shape.dropLast()) + [w.shape[0]])]
        },
        reference: { c in
            let x = c.inputs[0], w = c.inputs[1]
            let n = w.rowCount, k = w.rowLength, rows = x.rowCount
            let xs = x.floats()
            var out = [Float](repeating: 0, count: rows * n)
            for j in 0..<n {
                let wr = w.row(j)
                for r in 0..<rows {
                    var acc: Float = 0
                    for i in 0..<k { acc += xs[r * k + i] * wr[i] }
                    out[r * n + j] = acc
                }
            }
            return [HostTensor(f32: out, shape: Array(x.shape.dropLast()) + [n])]
        })
}
