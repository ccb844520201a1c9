/// Byte-level BPE merging: the merge table by rank and the merge loop for one piece.
struct BPEMerges: Sendable {
    /// Id marking a byte the vocabulary has no token for.
    static let missing: Int32 = -1
    private static let removed: Int32 = -2

    /// `(left << 32 | right)` → `(rank << 32 | merged id)`.
    private let table: [UInt64: UInt64]
    /// Token id of each single byte's vocabulary character, or `missing`.
    let byteTokens: [Int32]

    /// Builds the table from `merges` ("left right", in rank order). Merges whose parts or
    /// result are not in the vocabulary can never apply and are left out.
    init(merges: [String], tokenIDs: [String: Int32]) throws {
        var table: [UInt64: UInt64] = [:]
        table.reserveCapacity(merges.count)
        for (rank, m) in merges.enumerated() {
            // Split at the first space after the first character (as llama.cpp does).
            let u = Array(m.utf8)
            guard u.count >= 3, let sp = u[1...].firstIndex(of: 0x20) else {
                throw TokenizerError.invalid(field: "tokenizer.ggml.merges #\(rank)",
                                             reason: "'\(m)' is not two tokens separated by a space")
            }
            let left = String(decoding: u[..<sp], as: UTF8.self)
            let right = String(decoding: u[(sp + 1)...], as: UTF8.self)
            guard let l = tokenIDs[left], let r = tokenIDs[right], let merged = tokenIDs[left + right]
            else { continue }
            let key = UInt64(UInt32(bitPattern: l)) << 32 | UInt64(UInt32(bitPattern: r))
            if table[key] == nil {  // the first (lowest-rank) occurrence wins
                table[key] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: merged))
            }
        }
        self.table = table
        byteTokens = (0..<256).map { tokenIDs[String(ByteLevel.byteToScalar[$0])] ?? Self.missing }
    }

    @inline(__always)
    private func lookup(_ l: Int32, _ r: Int32) -> UInt64? {
        guard l >= 0, r >= 0 else { return nil }
        return table[UInt64(UInt32(bitPattern: l)) << 32 | UInt64(UInt32(bitPattern: r))]
    }

    /// Appends the tokens of one pre-tokenized piece (raw bytes) to `out`.
    ///
    /// Repeatedly merges the adjacent pair with the lowest rank, leftmost first on ties (as
    /// Hugging Face `tokenizers` does), with a heap so long pieces stay O(n log n).
    /// Bytes without a token become `missing`.
    func encode(_ bytes: ArraySlice<UInt8>, into out: inout [Int32]) {
        let n = bytes.count
        if n == 0 { return }
        var ids = bytes.map { byteTokens[Int($0)] }
        if n == 1 { out.append(ids[0]); return }
        var next = [Int32](0..<Int32(n)).map { $0 + 1 }
        next[n - 1] = -1
        var prev = [Int32](0..<Int32(n)).map { $0 - 1 }

        var heap = MinHeap()
        for i in 0..<(n - 1) {
            if let m = lookup(ids[i], ids[i + 1]) { heap.push((m & 0xFFFF_FFFF_0000_0000) | UInt64(i)) }
        }
        while let top = heap.pop() {
            let pos = Int(top & 0xFFFF_FFFF), rank = top >> 32
            guard ids[pos] >= 0 else { continue }
            let nx = Int(next[pos])
            guard nx >= 0, let m = lookup(ids[pos], ids[nx]), m >> 32 == rank else { continue }
            ids[pos] = Int32(truncatingIfNeeded: m & 0xFFFF_FFFF)
            ids[nx] = Self.removed
            let nn = next[nx]
            next[pos] = nn
            if nn >= 0 { prev[Int(nn)] = Int32(pos) }
            let pv = Int(prev[pos])
            if pv >= 0, let pm = lookup(ids[pv], ids[pos]) { heap.push((pm & 0xFFFF_FFFF_0000_0000) | UInt64(pv)) }
            if nn >= 0, let nm = lookup(ids[pos], ids[Int(nn)]) { heap.push((nm & 0xFFFF_FFFF_0000_0000) | UInt64(pos)) }
        }
        var i = 0
        while i >= 0 {
            out.append(ids[i])
            i = Int(next[i])
        }
    }
}

/// A binary min-heap of packed `(rank << 32 | position)` keys.
private struct MinHeap {
    private var a: [UInt64] = []

    mutating func push(_ v: UInt64) {
        a.append(v)
        var i = a.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if a[p] <= a[i] { break }
            a.swapAt(p, i)
            i = p
        }
    }

    mutating func pop() -> UInt64? {
        guard let first = a.first else { return nil }
        let last = a.removeLast()
        if a.isEmpty { return first }
        a[0] = last
        var i = 0
        let n = a.count
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < n && a[l] < a[m] { m = l }
            if r < n && a[r] < a[m] { m = r }
            if m == i { break }
            a.swapAt(i, m)
            i = m
        }
        return first
    }
}
