import Foundation

/// A GGUF file that cannot be read: which file, which field, and why.
///
/// `field` names the place in the file, e.g. `"metadata key #12 length"` or
/// `"tensor 'blk.0.attn_q.weight' offset"`.
public struct GGUFError: Error, CustomStringConvertible, LocalizedError, Sendable, Equatable {
    /// Why the field was rejected.
    public enum Reason: Sendable, Equatable, CustomStringConvertible {
        /// The file could not be opened or mapped (the system's message).
        case cannotOpen(String)
        /// The field needs `needed` bytes but only `available` remain.
        case truncated(needed: UInt64, available: Int)
        /// The first four bytes are not `GGUF`.
        case badMagic([UInt8])
        /// A version other than 2 or 3.
        case unsupportedVersion(UInt32)
        /// A tensor type this reader does not support.
        case unsupportedTensorType(id: UInt32, name: String)
        /// The value has the wrong metadata type.
        case typeMismatch(expected: String, found: String)
        /// A required metadata key is absent.
        case missing
        /// A name that appears twice.
        case duplicate(String)
        /// Any other rule the value breaks, in words.
        case invalid(String)

        public var description: String {
            switch self {
            case .cannotOpen(let why): return "cannot open: \(why)"
            case .truncated(let needed, let available):
                return "needs \(needed) bytes but only \(available) remain in the file (truncated or corrupt)"
            case .badMagic(let bytes):
                let hex = bytes.map { String(format: "%02x", $0) }.joined(separator: " ")
                return "bad magic [\(hex)], expected \"GGUF\" (47 47 55 46); not a GGUF file"
            case .unsupportedVersion(let v):
                if v == 1 { return "version 1 is not supported (GGUF v1 is obsolete; re-convert the model to v3)" }
                if v > 0xFFFF && v.byteSwapped <= 3 {
                    return "version \(v) looks byte-swapped: big-endian GGUF files are not supported"
                }
                return "version \(v) is not supported (supported: 2, 3)"
            case .unsupportedTensorType(let id, let name):
                return "tensor type \(id) (\(name)) is not supported (supported: \(GGMLType.supportedNames))"
            case .typeMismatch(let expected, let found): return "expected \(expected), found \(found)"
            case .missing: return "required key is missing"
            case .duplicate(let name): return "duplicate name '\(name)'"
            case .invalid(let why): return why
            }
        }
    }

    /// The file the error is about.
    public let path: String
    /// The place in the file, in words.
    public let field: String
    public let reason: Reason

    public init(path: String, field: String, reason: Reason) {
        self.path = path
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(path): \(field): \(reason)" }
    public var errorDescription: String? { description }
}
