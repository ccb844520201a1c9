/// Bytes that stay alive as long as their owner (a memory map, an array, …).
public final class ByteBuffer: @unchecked Sendable {
    public let bytes: UnsafeRawBufferPointer
    private let owner: AnyObject?
    private let owned: UnsafeMutableRawBufferPointer?

    /// Wraps memory owned by `owner` (kept alive by this buffer), without copying.
    public init(bytes: UnsafeRawBufferPointer, owner: AnyObject?) {
        self.bytes = bytes
        self.owner = owner
        self.owned = nil
    }

    /// Copies `array` into memory this buffer owns.
    public init(_ array: [UInt8]) {
        let m = UnsafeMutableRawBufferPointer.allocate(byteCount: max(array.count, 1), alignment: 16)
        array.withUnsafeBytes { src in
            if let base = src.baseAddress { m.baseAddress!.copyMemory(from: base, byteCount: src.count) }
        }
        self.owned = m
        self.bytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(m)[0..<array.count])
        self.owner = nil
    }

    deinit { owned?.deallocate() }

    public var count: Int { bytes.count }
}

/// A tensor on the host, for the reference interpreter and for exchanging data with the
/// executor: float32 activations, int32 ids, or raw bytes in any dtype (weights).
public struct HostTensor: @unchecked Sendable {
    public enum Storage {
        case f32([Float])
        case i32([Int32])
        case raw(ByteBuffer)
    }

    public var dtype: DType
    public var shape: [Int]
    public var storage: Storage

    public init(f32 data: [Float], shape: [Int]) {
        precondition(Shape.product(shape) == data.count, "shape \(shape) does not match \(data.count) values")
        self.dtype = .f32; self.shape = shape; self.storage = .f32(data)
    }

    public init(i32 data: [Int32], shape: [Int]) {
        precondition(Shape.product(shape) == data.count, "shape \(shape) does not match \(data.count) values")
        self.dtype = .i32; self.shape = shape; self.storage = .i32(data)
    }

    /// Raw bytes in `dtype`'s layout; throws when the byte count does not match the shape.
    public init(dtype: DType, shape: [Int], bytes: ByteBuffer) throws {
        guard let n = Shape.product(shape), let need = dtype.byteCount(forElements: n) else {
            throw GraphError.run("shape \(shape) is not a whole number of \(dtype.rawValue) blocks")
        }
        guard need == bytes.count else {
            throw GraphError.run("\(dtype.rawValue)\(shape) needs \(need) bytes, got \(bytes.count)")
        }
        self.dtype = dtype; self.shape = shape; self.storage = .raw(bytes)
    }

    public var elementCount: Int { Shape.product(shape) ?? 0 }
    /// Size of the last dimension (1 for scalars).
    public var rowLength: Int { shape.last ?? 1 }
    /// Number of rows: all leading dims flattened.
    public var rowCount: Int { rowLength == 0 ? 0 : elementCount / rowLength }

    /// All values as float32 (dequantized when needed).
    public func floats() -> [Float] {
        switch storage {
        case .f32(let a): return a
        case .i32(let a): return a.map(Float.init)
        case .raw(let b): return Dequantize.values(dtype, b.bytes, count: elementCount)
        }
    }

    /// Row `r` of the flattened [rows, last] view, as float32.
    public func row(_ r: Int) -> [Float] {
        let n = rowLength
        switch storage {
        case .f32(let a): return Array(a[r * n ..< (r + 1) * n])
        case .i32(let a): return a[r * n ..< (r + 1) * n].map(Float.init)
        case .raw(let b):
            let bytesPerRow = dtype.byteCount(forElements: n)!
            let slice = UnsafeRawBufferPointer(rebasing: b.bytes[r * bytesPerRow ..< (r + 1) * bytesPerRow])
            return Dequantize.values(dtype, slice, count: n)
        }
    }

    public func ints() -> [Int32] {
        switch storage {
        case .i32(let a): return a
        case .f32(let a): return a.map { Int32($0) }
        case .raw: return floats().map { Int32($0) }
        }
    }

    /// `values` stored as `dtype` (f32 as is, other types through Quantize.encode).
    public static func encoded(_ values: [Float], as dtype: DType, shape: [Int]) throws -> HostTensor {
        if dtype == .f32 { return HostTensor(f32: values, shape: shape) }
        return try HostTensor(dtype: dtype, shape: shape, bytes: ByteBuffer(Quantize.encode(values, as: dtype)))
    }

    /// A copy in float32 with the same shape.
    public func asF32() -> HostTensor { HostTensor(f32: floats(), shape: shape) }

    /// A checksum for display: sum of values and sum of |values|, in float64.
    public var checksum: (sum: Double, absSum: Double) {
        var s = 0.0, a = 0.0
        for v in floats() { s += Double(v); a += abs(Double(v)) }
        return (s, a)
    }
}
