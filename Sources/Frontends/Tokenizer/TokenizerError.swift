import Foundation

/// A tokenizer that cannot be built from the metadata it was given.
public enum TokenizerError: Error, CustomStringConvertible, LocalizedError, Sendable, Equatable {
    /// `tokenizer.ggml.model` names a tokenizer family this module does not implement.
    case unsupportedModel(String, supported: [String])
    /// `tokenizer.ggml.pre` names a pre-tokenizer this module does not implement.
    case unsupportedPreTokenizer(String, supported: [String])
    /// The metadata is present but inconsistent (field and reason).
    case invalid(field: String, reason: String)

    public var description: String {
        switch self {
        case .unsupportedModel(let name, let supported):
            return "tokenizer.ggml.model '\(name)' is not supported (supported: \(supported.joined(separator: ", ")))"
        case .unsupportedPreTokenizer(let name, let supported):
            return "tokenizer.ggml.pre '\(name)' is not supported (supported: \(supported.joined(separator: ", ")))"
        case .invalid(let field, let reason):
            return "\(field): \(reason)"
        }
    }

    public var errorDescription: String? { description }
}

/// GGUF `tokenizer.ggml.token_type` values.
public enum TokenType: Int32, Sendable {
    case undefined = 0, normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6

    /// Control and user-defined tokens are matched in raw text before pre-tokenization and
    /// decode to their text verbatim.
    public var isSpecial: Bool { self == .control || self == .userDefined }
}
