import SluiceGraph

/// One tensor described in a GGUF file's tensor-info table (already validated).
public struct GGUFTensorInfo: Sendable, Hashable {
    public let name: String
    /// Dimensions exactly as GGUF stores them, fastest-varying first: `[K, N]` is N rows of K.
    public let dims: [Int]
    /// The GGML type id as stored.
    public let ggmlType: UInt32
    public let dtype: DType
    /// Offset of the data from the start of the file's data section.
    public let offset: Int
    /// Offset of the data from the start of the file.
    public let fileOffset: Int
    /// Size of the data in bytes.
    public let byteCount: Int

    /// Row-major shape, slowest-varying first: GGUF dims `[K, N]` become `[N, K]`.
    public var shape: [Int] { dims.reversed() }

    /// Number of values.
    public var elementCount: Int { dims.reduce(1, *) }
}

extension GGUFByteReader {
    /// GGUF allows at most this many dimensions (ggml's GGML_MAX_DIMS).
    static let maxDims = 4

    /// Reads and validates tensor info #`index`, except for checks that need the data
    /// section's position (range and alignment), which `GGUFFile` does afterwards.
    mutating func tensorInfo(index: Int, alignment: Int) throws -> (name: String, dims: [Int], type: UInt32,
                                                                    dtype: DType, offset: Int, byteCount: Int) {
        let name = try string("tensor #\(index) name")
        guard !name.isEmpty else { throw error("tensor #\(index) name", .invalid("empty tensor name")) }
        let field = "tensor '\(name)'"

        let nDims = try u32(field + " n_dims")
        guard nDims >= 1, nDims <= UInt32(Self.maxDims) else {
            throw error(field + " n_dims", .invalid("\(nDims) dimensions; must be 1...\(Self.maxDims)"))
        }
        var dims: [Int] = []
        var elements = 1
        for d in 0..<Int(nDims) {
            let raw = try u64(field + " dimension \(d)")
            guard raw >= 1, raw <= UInt64(Int.max) else {
                throw error(field + " dimension \(d)", .invalid("size \(raw) must be in 1...\(Int.max)"))
            }
            let (product, overflow) = elements.multipliedReportingOverflow(by: Int(raw))
            guard !overflow else {
                throw error(field + " dimension \(d)", .invalid(
                    "element count overflows: product of dimensions exceeds \(Int.max)"))
            }
            elements = product
            dims.append(Int(raw))
        }

        let typeID = try u32(field + " type")
        guard let dtype = GGMLType.dtype(forID: typeID) else {
            throw error(field + " type", .unsupportedTensorType(id: typeID, name: GGMLType.name(forID: typeID)))
        }
        // ggml stores whole blocks per row, so the first (row) dimension must be whole blocks.
        guard dims[0] % dtype.blockSize == 0 else {
            throw error(field + " dimension 0", .invalid(
                "\(dims[0]) values per row is not a whole number of \(dtype.rawValue) blocks of \(dtype.blockSize)"))
        }
        guard let byteCount = dtype.byteCount(forElements: elements) else {
            throw error(field + " size", .invalid("\(elements) elements of \(dtype.rawValue) overflow the byte size"))
        }

        let offset = try u64(field + " offset")
        guard offset <= UInt64(Int.max) else {
            throw error(field + " offset", .invalid("offset \(offset) is out of range"))
        }
        guard offset % UInt64(alignment) == 0 else {
            throw error(field + " offset", .invalid("offset \(offset) is not a multiple of the alignment \(alignment)"))
        }
        return (name, dims, typeID, dtype, Int(offset), byteCount)
    }
}
