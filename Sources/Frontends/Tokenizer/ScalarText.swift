/// Text decoded once into Unicode scalars, with the character class of each scalar and the
/// UTF-8 offset where each begins: what the pre-tokenizers scan.
struct ScalarText {
    /// Classes the GPT-2-style patterns distinguish: `\p{L}`, `\p{N}`, `\s`, anything else.
    enum Kind: UInt8 { case letter, number, space, other }

    var scalars: [UInt32] = []
    var kinds: [Kind] = []
    /// `byteOffsets[i]` is the UTF-8 offset of scalar `i`; one extra entry holds the length.
    var byteOffsets: [Int] = []
    var utf8: [UInt8] = []

    init(_ text: String) {
        utf8 = Array(text.utf8)
        scalars.reserveCapacity(utf8.count)
        kinds.reserveCapacity(utf8.count)
        byteOffsets.reserveCapacity(utf8.count + 1)
        var offset = 0
        for s in text.unicodeScalars {
            let v = s.value
            scalars.append(v)
            kinds.append(Self.kind(of: v))
            byteOffsets.append(offset)
            offset += v < 0x80 ? 1 : v < 0x800 ? 2 : v < 0x10000 ? 3 : 4
        }
        byteOffsets.append(offset)
    }

    var count: Int { scalars.count }

    /// `\s` is Unicode White_Space (as in Oniguruma, which Hugging Face `tokenizers` uses),
    /// `\p{L}` the letter categories, `\p{N}` the number categories.
    static func kind(of v: UInt32) -> Kind {
        if v < 0x80 { return asciiKinds[Int(v)] }
        let p = Unicode.Scalar(v)!.properties
        if p.isWhitespace { return .space }
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            return .other
        }
    }

    private static let asciiKinds: [Kind] = (0..<128).map { v -> Kind in
        switch v {
        case 0x09...0x0D, 0x20: return .space
        case 0x30...0x39: return .number
        case 0x41...0x5A, 0x61...0x7A: return .letter
        default: return .other
        }
    }
}
