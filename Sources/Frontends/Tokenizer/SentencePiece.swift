/// SentencePiece's BPE encoding as GGUF files describe it (`tokenizer.ggml.model = "llama"`:
/// LLaMA 1/2, Gemma): a vocabulary of pieces with scores, spaces spelled "▁" (U+2581), and
/// byte tokens `<0xXX>` for what no piece covers.
///
/// A text starts as its characters; the adjacent pair whose concatenation is the piece with
/// the highest score is merged (the leftmost among equal scores), again and again until no
/// adjacent pair forms a piece. Each remaining symbol is its piece's id, or — a character
/// with no piece — its UTF-8 bytes' byte tokens (the unknown token for a byte without one).
struct SentencePieceBPE {
    let scores: [Float]
    let pieceIDs: [String: Int32]
    /// The id of `<0xXX>` for each byte, where the vocabulary has it.
    let byteIDs: [Int32?]

    init(tokens: [String], scores: [Float], pieceIDs: [String: Int32]) throws {
        guard scores.count == tokens.count else {
            throw TokenizerError.invalid(field: "tokenizer.ggml.scores", reason: "\(scores.count) scores for \(tokens.count) tokens")
        }
        if let i = scores.firstIndex(where: { !$0.isFinite }) {
            throw TokenizerError.invalid(field: "tokenizer.ggml.scores #\(i)", reason: "score \(scores[i]) is not finite")
        }
        self.scores = scores
        self.pieceIDs = pieceIDs
        byteIDs = (0..<256).map { b in pieceIDs[Self.byteToken(UInt8(b))] }
    }

    static func byteToken(_ b: UInt8) -> String {
        let hex = Array("0123456789ABCDEF")
        return "<0x\(hex[Int(b >> 4)])\(hex[Int(b & 15)])>"
    }

    /// A byte token's byte (`<0x0A>` → 10), or nil.
    static func byteValue(_ token: String) -> UInt8? {
        let u = Array(token.utf8)
        guard u.count == 6, u[0] == 0x3C, u[1] == 0x30, u[2] == 0x78, u[5] == 0x3E,
              let hi = hexDigit(u[3]), let lo = hexDigit(u[4]) else { return nil }
        return hi << 4 | lo
    }

    private static func hexDigit(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }

    /// Appends the ids of `text` (spaces already spelled "▁").
    func encode(_ text: String, unknown: Int32?, into out: inout [Int32]) {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return }
        // Symbols: byte ranges, linked left to right; a merged-away symbol has length 0.
        var start: [Int] = [], len: [Int] = []
        var i = 0
        while i < bytes.count {
            let n = Self.utf8Length(bytes[i])
            let l = min(n, bytes.count - i)
            start.append(i); len.append(l)
            i += l
        }
        var prev = Array(-1..<(start.count - 1)), next = Array(1...start.count)
        next[start.count - 1] = -1

        // Candidate merges: (score, left symbol, byte length of the pair when queued).
        var heap = PairHeap()
        func consider(_ l: Int, _ r: Int) {
            guard l >= 0, r >= 0 else { return }
            let s = start[l], e = start[r] + len[r]
            guard let id = pieceIDs[String(decoding: bytes[s..<e], as: UTF8.self)] else { return }
            heap.push(PairHeap.Entry(score: scores[Int(id)], left: l, right: r, size: e - s))
        }
        for s in 0..<(start.count - 1) { consider(s, s + 1) }
        while let top = heap.pop() {
            let l = top.left, r = top.right
            // Stale: a side was merged into something else since.
            guard len[l] > 0, len[r] > 0, next[l] == r, len[l] + len[r] == top.size else { continue }
            len[l] += len[r]
            len[r] = 0
            next[l] = next[r]
            if next[r] >= 0 { prev[next[r]] = l }
            consider(prev[l], l)
            consider(l, next[l])
        }

        var s = 0
        while s >= 0 {
            let piece = bytes[start[s]..<(start[s] + len[s])]
            if let id = pieceIDs[String(decoding: piece, as: UTF8.self)] {
                out.append(id)
            } else {
                for b in piece { if let id = byteIDs[Int(b)] ?? unknown { out.append(id) } }
            }
            s = next[s]
        }
    }

    /// Bytes in the UTF-8 sequence a lead byte starts (1 for a stray continuation byte).
    private static func utf8Length(_ lead: UInt8) -> Int {
        switch lead {
        case 0xF0...: return 4
        case 0xE0...: return 3
        case 0xC0...: return 2
        default: return 1
        }
    }
}

/// A max-heap of candidate merges: the highest score first, the leftmost among equals.
private struct PairHeap {
    struct Entry { var score: Float; var left: Int; var right: Int; var size: Int }
    private var items: [Entry] = []

    private static func before(_ a: Entry, _ b: Entry) -> Bool {
        a.score > b.score || (a.score == b.score && a.left < b.left)
    }

    mutating func push(_ e: Entry) {
        items.append(e)
        var c = items.count - 1
        while c > 0 {
            let p = (c - 1) / 2
            guard Self.before(items[c], items[p]) else { break }
            items.swapAt(c, p)
            c = p
        }
    }

    mutating func pop() -> Entry? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var p = 0
            while true {
                let l = 2 * p + 1, r = l + 1
                var m = p
                if l < items.count && Self.before(items[l], items[m]) { m = l }
                if r < items.count && Self.before(items[r], items[m]) { m = r }
                if m == p { break }
                items.swapAt(p, m)
                p = m
            }
        }
        return first
    }
}
