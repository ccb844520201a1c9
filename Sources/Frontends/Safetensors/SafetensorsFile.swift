import Foundation
import SluiceGraph

/// One `.safetensors` file, memory-mapped: an 8-byte little-endian header length, a JSON
/// header naming each tensor's dtype, shape and `data_offsets` (relative to the end of the
/// header), then the data. Every entry is checked before any byte is used: known dtype,
/// shape and byte count that agree, offsets inside the file, no two tensors overlapping.
public final class SafetensorsFile: @unchecked Sendable {
    public struct Entry: Sendable {
        public var dtype: DType
        public var shape: [Int]
        /// Byte range inside the mapping (absolute).
        public var range: Range<Int>
    }

    public static let maxHeaderBytes = 100 << 20
    public let path: String
    public let entries: [String: Entry]
    /// `__metadata__` string pairs, when present.
    public let metadata: [String: String]
    let file: MappedFile

    public init(path: String) throws {
        let file = try MappedFile(path: path)
        self.path = path
        self.file = file
        let bytes = file.bytes
        func bad(_ field: String, _ why: String) -> ModelError { .badConfig(path, field, why) }
        guard bytes.count >= 8 else { throw bad("header", "file is \(bytes.count) bytes, too short for a safetensors header") }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard n >= 2, n <= UInt64(Self.maxHeaderBytes), n <= UInt64(bytes.count - 8) else {
            throw bad("header", "header length \(n) does not fit the file of \(bytes.count) bytes (limit \(Self.maxHeaderBytes))")
        }
        let headerEnd = 8 + Int(n)
        let json = Data(bytes[8..<headerEnd])
        guard let object = try? JSONSerialization.jsonObject(with: json), let header = object as? [String: Any] else {
            throw bad("header", "is not a JSON object")
        }
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        let dataSize = bytes.count - headerEnd
        for (name, value) in header {
            if name == "__metadata__" {
                guard let m = value as? [String: Any] else { throw bad("__metadata__", "is not an object") }
                for (k, v) in m { if let s = v as? String { metadata[k] = s } }
                continue
            }
            let field = "tensor '\(name)'"
            guard let e = value as? [String: Any] else { throw bad(field, "entry is not an object") }
            guard let dt = e["dtype"] as? String else { throw bad(field, "dtype is missing") }
            guard let dtype = Self.dtypes[dt] else {
                throw bad(field, "dtype \(dt) is not supported (supported: \(Self.dtypes.keys.sorted().joined(separator: ", ")))")
            }
            guard let shapeAny = e["shape"] as? [Any], shapeAny.count <= 8 else { throw bad(field, "shape is missing or has over 8 axes") }
            let shape = try shapeAny.map { v -> Int in
                guard let d = (v as? NSNumber)?.intValue, d >= 0, d <= 1 << 40 else { throw bad(field, "shape \(shapeAny) is not a list of sizes") }
                return d
            }
            guard let off = e["data_offsets"] as? [Any], off.count == 2,
                  let lo = (off[0] as? NSNumber)?.intValue, let hi = (off[1] as? NSNumber)?.intValue,
                  lo >= 0, lo <= hi, hi <= dataSize else {
                throw bad(field, "data_offsets \(e["data_offsets"] ?? "missing") are not inside the \(dataSize) data bytes")
            }
            guard let count = Shape.product(shape), let need = dtype.byteCount(forElements: count), need == hi - lo else {
                throw bad(field, "shape \(shape) of \(dt) does not match its \(hi - lo) bytes")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, range: (headerEnd + lo)..<(headerEnd + hi))
        }
        let sorted = entries.sorted { $0.value.range.lowerBound < $1.value.range.lowerBound }
        for (a, b) in zip(sorted, sorted.dropFirst()) where b.value.range.lowerBound < a.value.range.upperBound {
            throw bad("tensor '\(b.key)'", "data overlaps tensor '\(a.key)'")
        }
        self.entries = entries
        self.metadata = metadata
    }

    static let dtypes: [String: DType] = ["F32": .f32, "F16": .f16, "BF16": .bf16]

    /// The tensor's bytes, backed by the mapping (copied when not 4-byte aligned).
    public func hostTensor(_ name: String) throws -> HostTensor {
        guard let e = entries[name] else { throw ModelError.missingTensor(path, name) }
        let slice = UnsafeRawBufferPointer(rebasing: file.bytes[e.range])
        let aligned = Int(bitPattern: slice.baseAddress) % 4 == 0
        let buffer = aligned ? ByteBuffer(bytes: slice, owner: file) : ByteBuffer(Array(slice))
        return try HostTensor(dtype: e.dtype, shape: e.shape, bytes: buffer)
    }

    public var byteCount: Int { file.bytes.count }
}
