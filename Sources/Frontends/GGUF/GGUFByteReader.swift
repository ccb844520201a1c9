/// A bounds-checked little-endian cursor over untrusted bytes.
///
/// Every read checks the remaining length first and throws a `GGUFError` naming `field`;
/// nothing is read past the end and no length is trusted before it is checked.
struct GGUFByteReader {
    let path: String
    let bytes: UnsafeRawBufferPointer
    private(set) var position: Int = 0

    init(path: String, bytes: UnsafeRawBufferPointer) {
        self.path = path
        self.bytes = bytes
    }

    var remaining: Int { bytes.count - position }

    func error(_ field: String, _ reason: GGUFError.Reason) -> GGUFError {
        GGUFError(path: path, field: field, reason: reason)
    }

    /// Throws unless `count` more bytes are available.
    func require(_ count: UInt64, _ field: @autoclosure () -> String) throws {
        guard count <= UInt64(remaining) else {
            throw error(field(), .truncated(needed: count, available: remaining))
        }
    }

    mutating func skip(_ count: Int, _ field: @autoclosure () -> String) throws {
        try require(UInt64(count), field())
        position += count
    }

    mutating func readBytes(_ count: Int, _ field: @autoclosure () -> String) throws -> UnsafeRawBufferPointer {
        try require(UInt64(count), field())
        let slice = UnsafeRawBufferPointer(rebasing: bytes[position..<position + count])
        position += count
        return slice
    }

    private mutating func load<T: FixedWidthInteger>(_: T.Type, _ field: @autoclosure () -> String) throws -> T {
        let size = MemoryLayout<T>.size
        try require(UInt64(size), field())
        let v = bytes.loadUnaligned(fromByteOffset: position, as: T.self)
        position += size
        return T(littleEndian: v)
    }

    mutating func u8(_ field: @autoclosure () -> String) throws -> UInt8 { try load(UInt8.self, field()) }
    mutating func i8(_ field: @autoclosure () -> String) throws -> Int8 { try load(Int8.self, field()) }
    mutating func u16(_ field: @autoclosure () -> String) throws -> UInt16 { try load(UInt16.self, field()) }
    mutating func i16(_ field: @autoclosure () -> String) throws -> Int16 { try load(Int16.self, field()) }
    mutating func u32(_ field: @autoclosure () -> String) throws -> UInt32 { try load(UInt32.self, field()) }
    mutating func i32(_ field: @autoclosure () -> String) throws -> Int32 { try load(Int32.self, field()) }
    mutating func u64(_ field: @autoclosure () -> String) throws -> UInt64 { try load(UInt64.self, field()) }
    mutating func i64(_ field: @autoclosure () -> String) throws -> Int64 { try load(Int64.self, field()) }
    mutating func f32(_ field: @autoclosure () -> String) throws -> Float { Float(bitPattern: try u32(field())) }
    mutating func f64(_ field: @autoclosure () -> String) throws -> Double { Double(bitPattern: try u64(field())) }

    /// A GGUF bool: one byte that must be 0 or 1.
    mutating func bool(_ field: @autoclosure () -> String) throws -> Bool {
        let b = try u8(field())
        guard b <= 1 else { throw error(field(), .invalid("bool byte is \(b), expected 0 or 1")) }
        return b == 1
    }

    /// A GGUF string: u64 length (checked against the remaining bytes) then UTF-8 bytes.
    /// Invalid UTF-8 is repaired with U+FFFD rather than rejected.
    mutating func string(_ field: @autoclosure () -> String) throws -> String {
        let length = try u64(field() + " length")
        guard length <= UInt64(remaining) else {
            throw error(field() + " length", .invalid(
                "string length \(length) exceeds the \(remaining) bytes left in the file"))
        }
        let raw = try readBytes(Int(length), field())
        return String(decoding: raw, as: UTF8.self)
    }
}
