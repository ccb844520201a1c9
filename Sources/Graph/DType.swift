/// Element types of graph values: plain numbers and GGUF's quantized block formats.
public enum DType: String, CaseIterable, Sendable, Hashable, Codable {
    case f32, f16, bf16, i32
    case q4_0, q4_1, q8_0, q4_k, q6_k
    case q5_0, q5_1

    /// Values per block (1 for plain types).
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16, .i32: return 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0: return 32
        case .q4_k, .q6_k: return 256
        }
    }

    /// Bytes per block (per value for plain types), exactly as GGUF stores them.
    public var bytesPerBlock: Int {
        switch self {
        case .f32, .i32: return 4
        case .f16, .bf16: return 2
        case .q4_0: return 18
        case .q4_1: return 20
        case .q5_0: return 22
        case .q5_1: return 24
        case .q8_0: return 34
        case .q4_k: return 144
        case .q6_k: return 210
        }
    }

    public var isQuantized: Bool { blockSize > 1 }
    public var isFloat: Bool { self != .i32 }

    /// Bytes needed for `count` values, or nil when `count` is not a whole number of blocks
    /// or the size overflows.
    public func byteCount(forElements count: Int) -> Int? {
        guard count >= 0, count % blockSize == 0 else { return nil }
        let (r, o) = (count / blockSize).multipliedReportingOverflow(by: bytesPerBlock)
        return o ? nil : r
    }
}
