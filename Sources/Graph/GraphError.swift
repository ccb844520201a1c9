/// Errors about graphs: verification, parsing and running. Messages name the node, value or
/// text position at fault.
public enum GraphError: Error, CustomStringConvertible, Equatable {
    case verification(String)
    case parse(line: Int, column: Int, message: String)
    case run(String)
    case unknownOp(String)

    public var description: String {
        switch self {
        case .verification(let m): return "invalid graph: \(m)"
        case .parse(let l, let c, let m): return "parse error at line \(l), column \(c): \(m)"
        case .run(let m): return "run error: \(m)"
        case .unknownOp(let m): return "unknown operator '\(m)'"
        }
    }
}
