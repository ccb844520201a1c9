/// Attention blocks of the persistent kernel: a QKV stage, the split attention that reads its
/// query and caches, and the output projection of the attention's output become one stage
/// (persistent.comp's blockStage) when the run has one row — two grid barriers fewer per
/// decoder layer. Each head's unit leaves a partial product (its D columns of the projection
/// times its output) in a small buffer, and the last head to be done (an arrival counter
/// after the partial products) adds them up into the projection's output.
extension Persistent {
    /// One attention block found in a run's stages: the index of its QKV stage, its head
    /// count and the projection's output size (the partial products take heads · outputs
    /// floats).
    struct Block: Equatable {
        var first: Int
        var heads: Int
        var outputs: Int
    }

    /// Word offsets in a stage (see `stage(_:first:address:)`).
    static let fuseWord = 3
    static func pushWord(_ i: Int) -> Int { 4 + i }
    static func slot(_ words: [UInt32], _ j: Int) -> UInt64 {
        UInt64(words[20 + 2 * j]) | UInt64(words[21 + 2 * j]) << 32
    }
    static func setSlot(_ words: inout [UInt32], _ j: Int, _ a: UInt64) {
        words[20 + 2 * j] = UInt32(truncatingIfNeeded: a)
        words[21 + 2 * j] = UInt32(truncatingIfNeeded: a >> 32)
    }

    /// The attention blocks among the stages of one run (`stages[i]` the words of call i):
    /// QKV, split attention and an output projection without prologue, wired to each other's
    /// operands, all with the same rows; the query read by nothing else (`exclusive`: a value
    /// only its writer and one reader touch: the block keeps it in shared memory), the
    /// projection's weight in one piece with rows of whole 32-value blocks, the QKV input
    /// row short enough to stage in shared memory (4096).
    static func attentionBlocks(_ stages: [[UInt32]], calls: [KernelCall], exclusive: (String) -> Bool) -> [Block] {
        let kernels = calls.map(\.kernel)
        var out: [Block] = []
        var i = 0
        while i + 2 < stages.count {
            defer { i += 1 }
            let (a, b, o) = (stages[i], stages[i + 1], stages[i + 2])
            guard let ka = stageKind(kernels[i]), ka.kind == 3, let kb = stageKind(kernels[i + 1]), kb.kind == 4,
                  let ko = stageKind(kernels[i + 2]), ko.kind == 0, ko.norm == 0 else { continue }
            let p = { (w: [UInt32], j: Int) in Int(w[pushWord(j)]) }
            let heads = p(b, 2), kvHeads = p(b, 3), d = p(b, 4)
            // Same rows (push words 0-1) everywhere.
            guard [b, o].allSatisfy({ $0[4] == a[4] && $0[5] == a[5] }) else { continue }
            // The operands: the query and caches the QKV stage writes are the attention's, its
            // output the projection's input.
            guard slot(a, 4) == slot(b, 0), slot(a, 5) == slot(b, 1), slot(a, 6) == slot(b, 2),
                  slot(b, 4) == slot(o, 0) else { continue }
            guard p(a, 3) == heads, p(a, 4) == kvHeads, p(a, 5) == d, heads > 0, kvHeads > 0, heads % kvHeads == 0,
                  d % 8 == 0, d <= 256, p(a, 2) % 32 == 0, p(a, 2) <= 4096 else { continue }
            // The projection: K = heads · D in whole blocks, all its rows in this call
            // (columns = rows of the weight, no offset).
            let ko2 = p(o, 2), no = p(o, 3)
            guard ko2 == heads * d, ko2 % 32 == 0, p(o, 5) == no, p(o, 6) == 0,
                  let q = calls[i + 1].buffers.first, exclusive(q) else { continue }
            i += 2
            out.append(Block(first: i, heads: heads, outputs: no))
        }
        return out
    }

    /// Floats of the partial products of `blocks` (one buffer serves every block of a run:
    /// grid barriers separate them); the arrival counter follows them.
    static func partialFloats(_ blocks: [Block]) -> Int? { blocks.map { $0.heads * $0.outputs }.max() }

    /// Marks the blocks in the stage words and points them at the partial products at
    /// `partials` and the counter after them (see struct Stage in persistent.comp).
    static func markBlocks(_ blocks: [Block], in stages: inout [[UInt32]], partials: UInt64) {
        guard let floats = partialFloats(blocks) else { return }
        for b in blocks {
            stages[b.first][fuseWord] |= 1
            setSlot(&stages[b.first + 2], 5, partials)
            setSlot(&stages[b.first + 2], 6, partials + UInt64(4 * floats))
        }
    }
}
