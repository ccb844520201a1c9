/// Errors of the engine and the command line: bad options and full contexts.
public enum SluiceError: Error, CustomStringConvertible {
    case badOption(String, String)
    case contextFull(needed: Int, capacity: Int)
    case noTokenizer(String)

    public var description: String {
        switch self {
        case .badOption(let o, let why): return "\(o): \(why)"
        case .contextFull(let n, let c):
            return "the context is full: \(n) tokens are needed but the context holds \(c) (raise -c, or shorten the prompt or -n)"
        case .noTokenizer(let path): return "\(path) has no tokenizer: pass --prompt-ids"
        }
    }
}
