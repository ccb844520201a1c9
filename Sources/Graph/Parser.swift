/// Reads the text format (docs/OPS.md). Errors give the line and column. The result is not
/// verified; call `Verifier.verify` for that.
public struct GraphParser {
    enum Tok: Equatable {
        case ident(String), value(String), global(String), int(Int), float(Double), string(String)
        case punct(Character), end
    }
    struct Token { let tok: Tok; let line: Int; let col: Int }

    private var tokens: [Token] = []
    private var pos = 0

    public static func parse(_ text: String) throws -> Graph {
        var p = GraphParser()
        p.tokens = try lex(text)
        return try p.graph()
    }

    // MARK: - Lexer

    static func lex(_ text: String) throws -> [Token] {
        var out: [Token] = []
        let chars = Array(text.unicodeScalars)
        var i = 0, line = 1, col = 1
        func err(_ m: String) -> GraphError { .parse(line: line, column: col, message: m) }
        func isNameChar(_ c: Unicode.Scalar) -> Bool {
            c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" || c == "."
        }
        func advance(_ n: Int = 1) { for _ in 0..<n { if chars[i] == "\n" { line += 1; col = 1 } else { col += 1 }; i += 1 } }
        while i < chars.count {
            let c = chars[i]
            if c == " " || c == "\t" || c == "\n" || c == "\r" { advance(); continue }
            if c == "#" { while i < chars.count && chars[i] != "\n" { advance() }; continue }
            let (l0, c0) = (line, col)
            if c == "%" || c == "@" {
                advance()
                var name = ""
                while i < chars.count && isNameChar(chars[i]) { name.unicodeScalars.append(chars[i]); advance() }
                guard !name.isEmpty else { throw GraphError.parse(line: l0, column: c0, message: "expected a name after '\(c)'") }
                out.append(Token(tok: c == "%" ? .value(name) : .global(name), line: l0, col: c0))
            } else if c.properties.isAlphabetic || c == "_" {
                var name = ""
                while i < chars.count && (isNameChar(chars[i]) && chars[i] != ".") { name.unicodeScalars.append(chars[i]); advance() }
                out.append(Token(tok: .ident(name), line: l0, col: c0))
            } else if ("0"..."9").contains(c) || (c == "-" && i + 1 < chars.count && (("0"..."9").contains(chars[i + 1]) || chars[i + 1] == "i")) {
                var s = ""
                if c == "-" { s = "-"; advance() }
                if i + 2 < chars.count, String(String.UnicodeScalarView(chars[i..<i + 3])) == "inf" {
                    advance(3); out.append(Token(tok: .float(s == "-" ? -.infinity : .infinity), line: l0, col: c0)); continue
                }
                var isFloat = false
                while i < chars.count {
                    let d = chars[i]
                    if ("0"..."9").contains(d) { s.unicodeScalars.append(d); advance() }
                    else if d == "." || d == "e" || d == "E" { isFloat = true; s.unicodeScalars.append(d); advance() }
                    else if (d == "+" || d == "-") && (s.hasSuffix("e") || s.hasSuffix("E")) { s.unicodeScalars.append(d); advance() }
                    else { break }
                }
                if isFloat {
                    guard let v = Double(s) else { throw GraphError.parse(line: l0, column: c0, message: "bad number '\(s)'") }
                    out.append(Token(tok: .float(v), line: l0, col: c0))
                } else {
                    guard let v = Int(s) else { throw GraphError.parse(line: l0, column: c0, message: "integer '\(s)' out of range") }
                    out.append(Token(tok: .int(v), line: l0, col: c0))
                }
            } else if c == "\"" {
                advance()
                var s = ""
                while true {
                    guard i < chars.count, chars[i] != "\n" else { throw GraphError.parse(line: l0, column: c0, message: "unterminated string") }
                    let d = chars[i]; advance()
                    if d == "\"" { break }
                    if d == "\\" {
                        guard i < chars.count else { throw err("unterminated string") }
                        let e = chars[i]; advance()
                        switch e {
                        case "n": s += "\n"
                        case "t": s += "\t"
                        case "\"", "\\": s.unicodeScalars.append(e)
                        default: throw err("unknown escape '\\\(e)'")
                        }
                    } else { s.unicodeScalars.append(d) }
                }
                out.append(Token(tok: .string(s), line: l0, col: c0))
            } else if "(){}[],:=".unicodeScalars.contains(c) {
                advance(); out.append(Token(tok: .punct(Character(c)), line: l0, col: c0))
            } else {
                throw err("unexpected character '\(c)'")
            }
        }
        out.append(Token(tok: .end, line: line, col: col))
        return out
    }

    // MARK: - Grammar

    private var current: Token { tokens[pos] }

    private func error(_ m: String) -> GraphError {
        .parse(line: current.line, column: current.col, message: m)
    }

    private func describe(_ t: Tok) -> String {
        switch t {
        case .ident(let s): return "'\(s)'"
        case .value(let s): return "'%\(s)'"
        case .global(let s): return "'@\(s)'"
        case .int(let v): return "'\(v)'"
        case .float(let v): return "'\(v)'"
        case .string(let s): return "\"\(s)\""
        case .punct(let c): return "'\(c)'"
        case .end: return "the end of the text"
        }
    }

    private mutating func expect(_ c: Character) throws {
        guard current.tok == .punct(c) else { throw error("expected '\(c)', found \(describe(current.tok))") }
        pos += 1
    }

    private mutating func accept(_ c: Character) -> Bool {
        if current.tok == .punct(c) { pos += 1; return true }
        return false
    }

    private mutating func keyword(_ k: String) throws {
        guard current.tok == .ident(k) else { throw error("expected '\(k)', found \(describe(current.tok))") }
        pos += 1
    }

    private mutating func valueName() throws -> String {
        guard case .value(let n) = current.tok else { throw error("expected a value name like %x, found \(describe(current.tok))") }
        pos += 1
        return n
    }

    private mutating func ident(_ what: String) throws -> String {
        guard case .ident(let n) = current.tok else { throw error("expected \(what), found \(describe(current.tok))") }
        pos += 1
        return n
    }

    mutating func graph() throws -> Graph {
        try keyword("graph")
        guard case .global(let name) = current.tok else { throw error("expected the graph name like @block0") }
        pos += 1
        var g = Graph(name: name)
        try expect("(")
        if !accept(")") {
            repeat { g.params.append(try param()) } while accept(",")
            try expect(")")
        }
        try expect("{")
        while current.tok != .ident("return") {
            g.nodes.append(try node())
        }
        pos += 1
        repeat { g.outputs.append(try valueName()) } while accept(",")
        try expect("}")
        guard current.tok == .end else { throw error("unexpected \(describe(current.tok)) after the graph") }
        return g
    }

    mutating func param() throws -> Value {
        let name = try valueName()
        try expect(":")
        var kind = ValueKind.input
        if case .ident(let k) = current.tok, let vk = ValueKind(rawValue: k), vk == .weight || vk == .state {
            kind = vk; pos += 1
        }
        return Value(name, try type(), kind: kind)
    }

    mutating func type() throws -> TensorType {
        let dt = try ident("a dtype")
        guard let dtype = DType(rawValue: dt) else {
            pos -= 1
            throw error("unknown dtype '\(dt)' (known: \(DType.allCases.map(\.rawValue).joined(separator: " ")))")
        }
        try expect("[")
        var dims: [Dim] = []
        if !accept("]") {
            repeat {
                switch current.tok {
                case .int(let n) where n >= 0: dims.append(.fixed(n)); pos += 1
                case .ident(let s): dims.append(.symbol(s)); pos += 1
                default: throw error("expected a dimension (a number or a symbol like T), found \(describe(current.tok))")
                }
            } while accept(",")
            try expect("]")
        }
        return TensorType(dtype, dims)
    }

    mutating func node() throws -> Node {
        var outs: [String] = []
        repeat { outs.append(try valueName()) } while accept(",")
        try expect("=")
        let op = try ident("an operator name")
        try expect("(")
        var ins: [String] = []
        if !accept(")") {
            repeat { ins.append(try valueName()) } while accept(",")
            try expect(")")
        }
        var attrs: Attributes = [:]
        if accept("{") {
            if !accept("}") {
                repeat {
                    let key = try ident("an attribute name")
                    guard attrs[key] == nil else { pos -= 1; throw error("attribute '\(key)' given twice") }
                    try expect("=")
                    attrs[key] = try attribute()
                } while accept(",")
                try expect("}")
            }
        }
        try expect(":")
        let typesAt = current
        var types: [TensorType] = []
        repeat { types.append(try type()) } while accept(",")
        guard types.count == outs.count else {
            throw GraphError.parse(line: typesAt.line, column: typesAt.col, message: "\(outs.count) outputs but \(types.count) types")
        }
        return Node(op: op, inputs: ins, outputs: zip(outs, types).map { Value($0, $1) }, attributes: attrs)
    }

    mutating func attribute() throws -> Attribute {
        let t = current.tok
        switch t {
        case .int(let v): pos += 1; return .int(v)
        case .float(let v): pos += 1; return .float(v)
        case .string(let s): pos += 1; return .string(s)
        case .ident("true"): pos += 1; return .bool(true)
        case .ident("false"): pos += 1; return .bool(false)
        case .ident("inf"): pos += 1; return .float(.infinity)
        case .ident("nan"): pos += 1; return .float(.nan)
        case .punct("["):
            pos += 1
            var a: [Int] = []
            if !accept("]") {
                repeat {
                    guard case .int(let v) = current.tok else { throw error("expected an integer in the list, found \(describe(current.tok))") }
                    a.append(v); pos += 1
                } while accept(",")
                try expect("]")
            }
            return .ints(a)
        default:
            throw error("expected an attribute value, found \(describe(t))")
        }
    }
}
