/// Finds special tokens (control and user-defined) in text: leftmost match first, longest
/// match at a position, over Unicode scalars.
struct SpecialTokenMatcher: Sendable {
    /// Trie nodes: children by scalar, and the token ending at the node (or -1).
    private var children: [[UInt32: Int32]] = [[:]]
    private var terminal: [Int32] = [-1]

    var isEmpty: Bool { children[0].isEmpty }

    init(_ tokens: [(text: String, id: Int32)]) {
        for (text, id) in tokens where !text.isEmpty {
            var node = 0
            for s in text.unicodeScalars {
                if let c = children[node][s.value] {
                    node = Int(c)
                } else {
                    children.append([:])
                    terminal.append(-1)
                    children[node][s.value] = Int32(children.count - 1)
                    node = children.count - 1
                }
            }
            if terminal[node] < 0 { terminal[node] = id }
        }
    }

    /// The longest special token starting at scalar `i`: its id and end index.
    @inline(__always)
    func match(_ scalars: [UInt32], at i: Int) -> (id: Int32, end: Int)? {
        guard var node = children[0][scalars[i]].map(Int.init) else { return nil }
        var best: (Int32, Int)? = nil
        var j = i + 1
        while true {
            if terminal[node] >= 0 { best = (terminal[node], j) }
            guard j < scalars.count, let c = children[node][scalars[j]] else { break }
            node = Int(c)
            j += 1
        }
        return best
    }
}
