/// How text is cut into pieces before BPE, selected by GGUF's `tokenizer.ggml.pre`.
///
/// Each case reproduces a regular expression (as Hugging Face `tokenizers` runs it) with a
/// hand-written scanner over Unicode scalars; see the `scan…` functions for the patterns.
public enum PreTokenizer: String, CaseIterable, Sendable {
    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    case gpt2
    /// SmolLM / StarCoder: every `\p{N}` scalar is its own piece, then GPT-2 on the rest.
    case smollm
    /// LLaMA 3: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|`
    /// ` ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
    case llama3
    /// Qwen 2 / 2.5 / 3: LLaMA 3's pattern with `\p{N}` (every digit its own piece) for
    /// `\p{N}{1,3}`.
    case qwen2

    /// `tokenizer.ggml.pre` values and the pre-tokenizer each selects.
    public static let ggufNames: [String: PreTokenizer] = [
        "gpt2": .gpt2, "gpt-2": .gpt2,
        "smollm": .smollm, "starcoder": .smollm, "refact": .smollm,
        "llama3": .llama3, "llama-v3": .llama3, "llama-bpe": .llama3,
        "qwen2": .qwen2, "deepseek-r1-qwen": .qwen2,
    ]

    /// The pre-tokenizer for a `tokenizer.ggml.pre` value; throws naming the supported ones.
    public init(ggufName: String) throws {
        guard let p = Self.ggufNames[ggufName] else {
            throw TokenizerError.unsupportedPreTokenizer(ggufName, supported: Self.ggufNames.keys.sorted())
        }
        self = p
    }

    /// The pieces of `text` (for tests and debugging; `Tokenizer` uses the scanner directly).
    public func split(_ text: String) -> [String] {
        let t = ScalarText(text)
        var ends: [Int] = []
        split(t, 0, t.count, into: &ends)
        var out: [String] = []
        var start = 0
        for e in ends {
            out.append(String(decoding: t.utf8[t.byteOffsets[start]..<t.byteOffsets[e]], as: UTF8.self))
            start = e
        }
        return out
    }

    /// Appends to `ends` the end index of each piece of scalars `lo..<hi` (pieces are
    /// contiguous: each begins where the previous ended, the first at `lo`).
    func split(_ t: ScalarText, _ lo: Int, _ hi: Int, into ends: inout [Int]) {
        switch self {
        case .gpt2:
            var i = lo
            while i < hi { i = Self.gpt2Piece(t, i, hi); ends.append(i) }
        case .smollm:
            // Digits are isolated first; the GPT-2 pattern then runs on each stretch between
            // them separately (its lookahead does not see past a stretch's end).
            var start = lo
            for i in lo..<hi where t.kinds[i] == .number {
                var j = start
                while j < i { j = Self.gpt2Piece(t, j, i); ends.append(j) }
                ends.append(i + 1)
                start = i + 1
            }
            var j = start
            while j < hi { j = Self.gpt2Piece(t, j, hi); ends.append(j) }
        case .llama3:
            var i = lo
            while i < hi { i = Self.llama3Piece(t, i, hi); ends.append(i) }
        case .qwen2:
            var i = lo
            while i < hi { i = Self.llama3Piece(t, i, hi, digits: 1); ends.append(i) }
        }
    }

    // MARK: - Scanners

    private static let apostrophe: UInt32 = 0x27, space: UInt32 = 0x20, cr: UInt32 = 0x0D, lf: UInt32 = 0x0A

    /// End of the run of scalars of `kind` starting at `i`.
    @inline(__always)
    private static func run(_ t: ScalarText, _ i: Int, _ hi: Int, _ kind: ScalarText.Kind) -> Int {
        var j = i
        while j < hi && t.kinds[j] == kind { j += 1 }
        return j
    }

    /// Length of a contraction (`'s`, `'re`, …) at `i`, or 0. `caseInsensitive` for llama3.
    private static func contraction(_ t: ScalarText, _ i: Int, _ hi: Int, caseInsensitive: Bool) -> Int {
        guard t.scalars[i] == apostrophe, i + 1 < hi else { return 0 }
        func lower(_ v: UInt32) -> UInt32 {
            caseInsensitive && (0x41...0x5A).contains(v) ? v + 0x20 : v
        }
        let c1 = lower(t.scalars[i + 1])
        switch c1 {
        case 0x73, 0x74, 0x6D, 0x64: return 2  // s t m d
        default: break
        }
        guard i + 2 < hi else { return 0 }
        let c2 = lower(t.scalars[i + 2])
        switch (c1, c2) {
        case (0x72, 0x65), (0x76, 0x65), (0x6C, 0x6C): return 3  // re ve ll
        default: return 0
        }
    }

    /// `\s+(?!\S)|\s+` at whitespace `i`: the run, less its last scalar when a non-space
    /// follows and the run is longer than one.
    @inline(__always)
    private static func whitespace(_ t: ScalarText, _ i: Int, _ hi: Int) -> Int {
        let j = run(t, i, hi, .space)
        return j < hi && j - i >= 2 ? j - 1 : j
    }

    /// End of the GPT-2 piece starting at `i`.
    static func gpt2Piece(_ t: ScalarText, _ i: Int, _ hi: Int) -> Int {
        let c = contraction(t, i, hi, caseInsensitive: false)
        if c > 0 { return i + c }
        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`
        if t.scalars[i] == space && i + 1 < hi && t.kinds[i + 1] != .space {
            return run(t, i + 1, hi, t.kinds[i + 1])
        }
        let k = t.kinds[i]
        if k != .space { return run(t, i, hi, k) }
        return whitespace(t, i, hi)
    }

    /// End of the LLaMA 3 piece starting at `i` (Qwen 2's with `digits` 1).
    static func llama3Piece(_ t: ScalarText, _ i: Int, _ hi: Int, digits: Int = 3) -> Int {
        let c = contraction(t, i, hi, caseInsensitive: true)
        if c > 0 { return i + c }
        let v = t.scalars[i], k = t.kinds[i]
        // `[^\r\n\p{L}\p{N}]?\p{L}+`
        if k == .letter { return run(t, i, hi, .letter) }
        if v != cr && v != lf && k != .number && i + 1 < hi && t.kinds[i + 1] == .letter {
            return run(t, i + 1, hi, .letter)
        }
        // `\p{N}{1,3}` (Qwen 2: `\p{N}`)
        if k == .number { return min(run(t, i, hi, .number), i + digits) }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        var start = -1
        if k == .other { start = i } else if v == space && i + 1 < hi && t.kinds[i + 1] == .other { start = i + 1 }
        if start >= 0 {
            var j = run(t, start, hi, .other)
            while j < hi && (t.scalars[j] == cr || t.scalars[j] == lf) { j += 1 }
            return j
        }
        // `\s*[\r\n]+`: through the last newline of the whitespace run.
        let j = run(t, i, hi, .space)
        var p = j - 1
        while p >= i && t.scalars[p] != cr && t.scalars[p] != lf { p -= 1 }
        if p >= i { return p + 1 }
        // `\s+(?!\S)|\s+`
        return whitespace(t, i, hi)
    }
}
