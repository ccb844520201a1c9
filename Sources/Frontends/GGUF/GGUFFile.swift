import SluiceGraph

/// A parsed, memory-mapped GGUF file (versions 2 and 3).
///
/// Everything read from the file is validated while opening: counts, lengths, offsets and
/// dimensions are checked against the file size with overflow checks, and a bad file throws
/// a `GGUFError` naming the file, the field and the reason. Tensor data is not copied:
/// `data(for:)` returns a slice of the mapping, valid while this object (or the
/// `mappedFile` it holds) is alive.
public final class GGUFFile: @unchecked Sendable {
    public static let magic: [UInt8] = Array("GGUF".utf8)
    public static let defaultAlignment = 32

    public var path: String { mappedFile.path }
    /// The mapping that tensor data points into.
    public let mappedFile: MappedFile
    /// 2 or 3.
    public let version: UInt32
    public let metadata: GGUFMetadata
    /// Tensors in file order.
    public let tensors: [GGUFTensorInfo]
    /// `general.alignment`, or 32.
    public let alignment: Int
    /// Offset of the data section from the start of the file.
    public let dataOffset: Int

    private let tensorIndex: [String: Int]

    /// Maps and parses the file at `path`.
    public convenience init(path: String) throws {
        try self.init(mappedFile: MappedFile(path: path))
    }

    /// Parses an already mapped file.
    public init(mappedFile: MappedFile) throws {
        self.mappedFile = mappedFile
        let path = mappedFile.path
        var r = GGUFByteReader(path: path, bytes: mappedFile.bytes)

        // MARK: Header
        let magic = try r.readBytes(4, "header magic")
        guard Array(magic) == Self.magic else {
            throw r.error("header magic", .badMagic(Array(magic)))
        }
        version = try r.u32("header version")
        guard version == 2 || version == 3 else {
            throw r.error("header version", .unsupportedVersion(version))
        }
        let tensorCount = try r.u64("header tensor count")
        let metadataCount = try r.u64("header metadata count")
        // Each entry needs some minimum number of bytes; counts the file cannot hold are
        // rejected before anything is allocated for them.
        let minKV: UInt64 = 8 + 1 + 4 + 1          // key length, 1-byte key, type, 1-byte value
        let minTensor: UInt64 = 8 + 1 + 4 + 8 + 4 + 8  // name, n_dims, one dim, type, offset
        guard metadataCount <= UInt64(r.remaining) / minKV else {
            throw r.error("header metadata count", .invalid(
                "\(metadataCount) entries cannot fit in the \(r.remaining) bytes left in the file"))
        }
        guard tensorCount <= UInt64(r.remaining) / minTensor else {
            throw r.error("header tensor count", .invalid(
                "\(tensorCount) tensors cannot fit in the \(r.remaining) bytes left in the file"))
        }

        // MARK: Metadata
        var metadata = GGUFMetadata(path: path)
        for i in 0..<Int(metadataCount) {
            let key = try r.string("metadata key #\(i)")
            guard !key.isEmpty else { throw r.error("metadata key #\(i)", .invalid("empty key")) }
            let type = try r.valueType("metadata '\(key)' value type")
            let value = try r.value(of: type, field: "metadata '\(key)'")
            guard metadata.insert(key, value) else {
                throw r.error("metadata key #\(i)", .duplicate(key))
            }
        }
        self.metadata = metadata

        var alignment = Self.defaultAlignment
        if let a = metadata["general.alignment"] {
            guard let n = a.int else {
                throw r.error("metadata 'general.alignment'",
                              .typeMismatch(expected: "an integer", found: a.typeDescription))
            }
            guard n > 0, n & (n - 1) == 0, n <= 1 << 30 else {
                throw r.error("metadata 'general.alignment'",
                              .invalid("alignment \(n) must be a nonzero power of two (at most 2^30)"))
            }
            alignment = n
        }
        self.alignment = alignment

        // MARK: Tensor infos
        var raw: [(name: String, dims: [Int], type: UInt32, dtype: DType, offset: Int, byteCount: Int)] = []
        raw.reserveCapacity(Int(tensorCount))
        var index: [String: Int] = [:]
        for i in 0..<Int(tensorCount) {
            let t = try r.tensorInfo(index: i, alignment: alignment)
            guard index[t.name] == nil else {
                throw r.error("tensor #\(i) name", .duplicate(t.name))
            }
            index[t.name] = i
            raw.append(t)
        }
        tensorIndex = index

        // MARK: Data section
        // It starts at the first multiple of `alignment` after the tensor infos.
        let infoEnd = r.position
        let dataOffset = (infoEnd + alignment - 1) / alignment * alignment  // infoEnd ≤ file size: no overflow
        self.dataOffset = dataOffset
        let fileSize = mappedFile.bytes.count
        tensors = try raw.map { t in
            let field = "tensor '\(t.name)' offset"
            let (start, o1) = dataOffset.addingReportingOverflow(t.offset)
            let (end, o2) = start.addingReportingOverflow(t.byteCount)
            guard !o1, !o2, end <= fileSize else {
                throw GGUFError(path: path, field: field, reason: .invalid(
                    "data at offset \(t.offset) (+\(t.byteCount) bytes) runs past the end of the file "
                    + "(data section starts at \(dataOffset), file is \(fileSize) bytes)"))
            }
            return GGUFTensorInfo(name: t.name, dims: t.dims, ggmlType: t.type, dtype: t.dtype,
                                  offset: t.offset, fileOffset: start, byteCount: t.byteCount)
        }
    }

    // MARK: - Lookup

    /// The tensor called `name`, if any.
    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// The tensor called `name`; throws a `GGUFError` when the file has none.
    public func requireTensor(_ name: String) throws -> GGUFTensorInfo {
        guard let t = tensor(named: name) else {
            throw GGUFError(path: path, field: "tensor '\(name)'", reason: .missing)
        }
        return t
    }

    /// The bytes of `tensor`, as a slice of the mapping (no copy). Valid while `self` lives.
    /// `tensor` must come from this file.
    public func data(for tensor: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        precondition(tensorIndex[tensor.name].map { tensors[$0] } == tensor,
                     "tensor '\(tensor.name)' does not belong to \(path)")
        return UnsafeRawBufferPointer(
            rebasing: mappedFile.bytes[tensor.fileOffset..<tensor.fileOffset + tensor.byteCount])
    }

    /// The bytes of the tensor called `name`; throws when absent.
    public func data(named name: String) throws -> UnsafeRawBufferPointer {
        data(for: try requireTensor(name))
    }
}
