/// Decodes tokens one at a time into text, holding back a UTF-8 sequence that a token left
/// incomplete until the next token completes it (a multi-byte character often spans tokens).
public struct StreamingDecoder {
    public let tokenizer: Tokenizer
    /// Leave out control tokens (EOS, `<|im_end|>`, …).
    public var skipControl: Bool
    private var pending: [UInt8] = []

    public init(tokenizer: Tokenizer, skipControl: Bool = false) {
        self.tokenizer = tokenizer
        self.skipControl = skipControl
    }

    /// The text that `id` completes (possibly empty).
    public mutating func append(_ id: Int32) -> String {
        if skipControl && tokenizer.isControl(id) { return "" }
        pending.append(contentsOf: tokenizer.bytes(of: id))
        let cut = Self.completePrefixLength(pending)
        guard cut > 0 else { return "" }
        let text = String(decoding: pending[..<cut], as: UTF8.self)
        pending.removeFirst(cut)
        return text
    }

    /// Whatever is still held back, with an incomplete sequence replaced by U+FFFD.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Bytes held back, waiting for the rest of a character.
    public var pendingByteCount: Int { pending.count }

    /// The length of `bytes` without a trailing incomplete-but-so-far-valid UTF-8 sequence.
    /// Invalid bytes are not held back (they decode to U+FFFD right away).
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        // Look back at most 3 bytes for the lead byte of the last sequence.
        var i = n - 1
        while i >= 0 && i >= n - 4 {
            let b = bytes[i]
            if b & 0xC0 != 0x80 {  // not a continuation byte
                let need: Int
                switch b {
                case 0xC2...0xDF: need = 2
                case 0xE0...0xEF: need = 3
                case 0xF0...0xF4: need = 4
                default: return n  // ASCII or an invalid lead: nothing to wait for
                }
                return n - i < need ? i : n
            }
            i -= 1
        }
        return n
    }
}
