/// The key-value metadata of a GGUF file, in file order, with typed lookups.
///
/// `metadata["llama.embedding_length"]?.int` reads an optional value; the `require…`
/// functions throw a `GGUFError` naming the file and key when a value is absent or has the
/// wrong type.
public struct GGUFMetadata: Sendable, Equatable {
    /// The file the metadata came from (used in error messages).
    public let path: String
    /// Keys in file order.
    public private(set) var keys: [String] = []
    private var values: [String: GGUFValue] = [:]

    public init(path: String) { self.path = path }

    /// Number of entries.
    public var count: Int { keys.count }

    public subscript(key: String) -> GGUFValue? { values[key] }

    /// Entries in file order.
    public var entries: [(key: String, value: GGUFValue)] { keys.map { ($0, values[$0]!) } }

    /// Adds an entry; returns false (and changes nothing) when the key is already present.
    @discardableResult
    public mutating func insert(_ key: String, _ value: GGUFValue) -> Bool {
        guard values[key] == nil else { return false }
        keys.append(key)
        values[key] = value
        return true
    }

    // MARK: - Required values

    private func require<T>(_ key: String, _ expected: String, _ get: (GGUFValue) -> T?) throws -> T {
        guard let v = values[key] else {
            throw GGUFError(path: path, field: "metadata '\(key)'", reason: .missing)
        }
        guard let r = get(v) else {
            throw GGUFError(path: path, field: "metadata '\(key)'",
                            reason: .typeMismatch(expected: expected, found: v.typeDescription))
        }
        return r
    }

    /// An integer value (any integer type that fits in `Int`).
    public func requireInt(_ key: String) throws -> Int { try require(key, "an integer") { $0.int } }
    /// A float value (or an integer, converted).
    public func requireFloat(_ key: String) throws -> Double { try require(key, "a number") { $0.float } }
    public func requireBool(_ key: String) throws -> Bool { try require(key, "a bool") { $0.bool } }
    public func requireString(_ key: String) throws -> String { try require(key, "a string") { $0.string } }
    public func requireArray(_ key: String) throws -> [GGUFValue] { try require(key, "an array") { $0.array } }
    public func requireStringArray(_ key: String) throws -> [String] {
        try require(key, "an array of string") { $0.stringArray }
    }
    public func requireIntArray(_ key: String) throws -> [Int] {
        try require(key, "an array of integers") { $0.intArray }
    }

    /// An optional integer: nil when absent, an error when present with another type.
    public func int(_ key: String) throws -> Int? {
        values[key] == nil ? nil : try requireInt(key)
    }
    /// An optional bool: nil when absent, an error when present with another type.
    public func bool(_ key: String) throws -> Bool? {
        values[key] == nil ? nil : try requireBool(key)
    }
    /// An optional string: nil when absent, an error when present with another type.
    public func string(_ key: String) throws -> String? {
        values[key] == nil ? nil : try requireString(key)
    }
    /// An optional float: nil when absent, an error when present with another type.
    public func float(_ key: String) throws -> Double? {
        values[key] == nil ? nil : try requireFloat(key)
    }
}

// MARK: - Parsing

extension GGUFByteReader {
    /// Nested arrays deeper than this are rejected (bounds recursion on hostile input).
    static let maxArrayDepth = 8

    /// Reads one value of `type`. `field` names it for errors.
    mutating func value(of type: GGUFValueType, field: @autoclosure () -> String,
                        depth: Int = 0) throws -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try u8(field()))
        case .int8: return .int8(try i8(field()))
        case .uint16: return .uint16(try u16(field()))
        case .int16: return .int16(try i16(field()))
        case .uint32: return .uint32(try u32(field()))
        case .int32: return .int32(try i32(field()))
        case .uint64: return .uint64(try u64(field()))
        case .int64: return .int64(try i64(field()))
        case .float32: return .float32(try f32(field()))
        case .float64: return .float64(try f64(field()))
        case .bool: return .bool(try bool(field()))
        case .string: return .string(try string(field()))
        case .array: return try array(field: field(), depth: depth)
        }
    }

    /// A value type tag, rejected when unknown.
    mutating func valueType(_ field: @autoclosure () -> String) throws -> GGUFValueType {
        let raw = try u32(field())
        guard let t = GGUFValueType(rawValue: raw) else {
            throw error(field(), .invalid("unknown metadata value type \(raw) (valid: 0...12)"))
        }
        return t
    }

    private mutating func array(field: String, depth: Int) throws -> GGUFValue {
        guard depth < Self.maxArrayDepth else {
            throw error(field, .invalid("arrays nested deeper than \(Self.maxArrayDepth) levels"))
        }
        let elementType = try valueType(field + " array element type")
        let count = try u64(field + " array count")
        // Every element takes at least `minimumEncodedSize` bytes, so a count the file
        // cannot hold is rejected before anything is allocated.
        let maxCount = UInt64(remaining / elementType.minimumEncodedSize)
        guard count <= maxCount else {
            throw error(field + " array count", .invalid(
                "\(count) elements of \(elementType) cannot fit in the \(remaining) bytes left in the file"))
        }
        var elements: [GGUFValue] = []
        elements.reserveCapacity(Int(count))
        for i in 0..<Int(count) {
            elements.append(try value(of: elementType, field: "\(field) element #\(i)", depth: depth + 1))
        }
        return .array(elementType: elementType, elements)
    }
}
