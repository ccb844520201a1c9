/// An operator attribute value. Floats always print with a '.' or an exponent, so the
/// text format tells them apart from integers.
public enum Attribute: Hashable, Sendable, CustomStringConvertible {
    case int(Int)
    case float(Double)
    case string(String)
    case bool(Bool)
    case ints([Int])

    public var description: String {
        switch self {
        case .int(let v): return String(v)
        case .float(let v): return Attribute.format(v)
        case .string(let s): return Attribute.quote(s)
        case .bool(let b): return b ? "true" : "false"
        case .ints(let a): return "[" + a.map(String.init).joined(separator: ", ") + "]"
        }
    }

    public var kind: AttributeKind {
        switch self {
        case .int: return .int
        case .float: return .float
        case .string: return .string
        case .bool: return .bool
        case .ints: return .ints
        }
    }

    public var intValue: Int? { if case .int(let v) = self { return v }; return nil }
    public var doubleValue: Double? {
        switch self {
        case .float(let v): return v
        case .int(let v): return Double(v)
        default: return nil
        }
    }
    public var stringValue: String? { if case .string(let v) = self { return v }; return nil }
    public var boolValue: Bool? { if case .bool(let v) = self { return v }; return nil }
    public var intsValue: [Int]? { if case .ints(let v) = self { return v }; return nil }

    /// Shortest text that parses back to exactly `v`, always with '.', an exponent, or inf/nan.
    static func format(_ v: Double) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v < 0 ? "-inf" : "inf" }
        let s = v.description
        if s.contains(".") || s.contains("e") { return s }
        return s + ".0"
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out + "\""
    }
}

public enum AttributeKind: String, Sendable {
    case int, float, string, bool, ints
}

/// Named attributes of a node.
public typealias Attributes = [String: Attribute]
