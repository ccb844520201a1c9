import SluiceGraph

/// Tensors made from another source's tensors, so that every file layout feeds the same
/// `DecoderBuilder` names: a range of rows (a view of the mapping, no copy; splits a fused
/// QKV matrix or bias) or a transpose (Hugging Face GPT-2 stores Conv1D weights [in, out]).
public final class DerivedSource: TensorSource {
    public enum Rule: Sendable {
        /// Rows `range` of a 1-D or 2-D tensor.
        case rows(String, Range<Int>)
        /// The transpose of a 2-D float tensor, then rows `range` of it.
        case transposedRows(String, Range<Int>)
    }

    public let base: TensorSource
    public var rules: [String: Rule] = [:]
    public var path: String { base.path }

    public init(base: TensorSource) { self.base = base }

    private func resolve(_ rule: Rule) -> (source: String, dtype: DType, shape: [Int], range: Range<Int>, transposed: Bool)? {
        switch rule {
        case .rows(let name, let r):
            guard let t = base.tensorType(name), (1...2).contains(t.shape.count), r.upperBound <= t.shape[0] else { return nil }
            return (name, t.dtype, [r.count] + t.shape.dropFirst(), r, false)
        case .transposedRows(let name, let r):
            guard let t = base.tensorType(name), t.shape.count == 2, r.upperBound <= t.shape[1] else { return nil }
            return (name, t.dtype, [r.count, t.shape[0]], r, true)
        }
    }

    public func tensorType(_ name: String) -> (dtype: DType, shape: [Int])? {
        guard let rule = rules[name] else { return base.tensorType(name) }
        return resolve(rule).map { ($0.dtype, $0.shape) }
    }

    public func hostTensor(_ name: String) throws -> HostTensor {
        guard let rule = rules[name] else { return try base.hostTensor(name) }
        guard let r = resolve(rule) else { throw ModelError.badTensor(path, name, "cannot be made from '\(r0(rule))'") }
        let src = try base.hostTensor(r.source)
        guard case .raw(let buffer) = src.storage else { throw ModelError.badTensor(path, r.source, "is not stored as raw bytes") }
        let rowElements = r.transposed ? src.shape[0] : Shape.product(Array(src.shape.dropFirst()))!
        if !r.transposed {
            guard let rowBytes = r.dtype.byteCount(forElements: rowElements) else {
                throw ModelError.badTensor(path, r.source, "rows of \(rowElements) are not whole \(r.dtype.rawValue) blocks")
            }
            let slice = UnsafeRawBufferPointer(rebasing: buffer.bytes[(r.range.lowerBound * rowBytes)..<(r.range.upperBound * rowBytes)])
            return try HostTensor(dtype: r.dtype, shape: r.shape, bytes: ByteBuffer(bytes: slice, owner: buffer))
        }
        guard r.dtype.blockSize == 1, let size = r.dtype.byteCount(forElements: 1) else {
            throw ModelError.badTensor(path, r.source, "\(r.dtype.rawValue) cannot be transposed")
        }
        let inRows = src.shape[0], inCols = src.shape[1]
        var out = [UInt8](repeating: 0, count: r.range.count * inRows * size)
        let bytes = buffer.bytes
        for (o, c) in r.range.enumerated() {
            for i in 0..<inRows {
                let from = (i * inCols + c) * size, to = (o * inRows + i) * size
                for b in 0..<size { out[to + b] = bytes[from + b] }
            }
        }
        return try HostTensor(dtype: r.dtype, shape: r.shape, bytes: ByteBuffer(out))
    }

    private func r0(_ rule: Rule) -> String {
        switch rule { case .rows(let n, _), .transposedRows(let n, _): return n }
    }
}

/// Presents 1-D half-precision tensors (norm weights, biases) as float32, so the kernels that
/// fold a norm into the next matrix product (which read float32 norm weights) apply to
/// checkpoints stored in f16/bf16. Matrices keep their stored type.
public final class VectorsAsFloat32: TensorSource {
    public let base: TensorSource
    public var path: String { base.path }
    public init(base: TensorSource) { self.base = base }

    public func tensorType(_ name: String) -> (dtype: DType, shape: [Int])? {
        guard let t = base.tensorType(name) else { return nil }
        return t.shape.count == 1 && (t.dtype == .f16 || t.dtype == .bf16) ? (.f32, t.shape) : t
    }

    public func hostTensor(_ name: String) throws -> HostTensor {
        let t = try base.hostTensor(name)
        guard t.shape.count == 1, t.dtype == .f16 || t.dtype == .bf16 else { return t }
        return HostTensor(f32: t.floats(), shape: t.shape)
    }
}
