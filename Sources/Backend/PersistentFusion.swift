import SluicePasses

/// The output projection fused into the attention stage in the persistent kernel's dataflow
/// mode (persistent_flow.glsl's counted sums): a matrix stage without a prologue whose input
/// is the attention stage's output, just before it, is done by the attention units — each head's
/// unit that merges its slices multiplies the head's output by the head's columns of the
/// matrix and adds the products to the output with 64-bit atomic adds that also count the
/// columns added; the stage that reads the output (as the x2 of its add prologue) waits for
/// the count instead of a tag. Replicas of each head's last slice (which score its keys again,
/// in parallel) split the output elements, so that no unit walks all of the matrix. A decode
/// step loses one of the five dependent stages of a layer. SLUICE_PERSISTENT_OFF=fuse keeps it;
/// SLUICE_PERSISTENT_HEAD_ROWS sets the output elements per replica (Settings.headRows).
/// H200, synthetic SmolLM2 shape, one call (docs/bench/h200-s16-ab/ c7): tg128 1,657–1,663
/// tok/s against 1,458–1,469 with the switch off; @ d512 +5 %, @ d2048 +3 %; 96 elements per
/// replica (6 a head) 1,643–1,646, 192 1,645, 288 1,573–1,583, one unit a head 1,379–1,388.
extension Persistent {
    struct Fusion {
        /// The stage that does the fused one's work, the fused (K_FUSED) stage, the stages that
        /// read its output as x2.
        var producer: Int, fused: Int, readers: [Int]
        /// The producer's output (the fused stage's input, read by nothing else) and the fused
        /// stage's output, with its element count.
        var input: String, output: String, entries: Int
        /// Units per head's last slice (push[15] of the attention stage).
        var replicas: Int
    }

    /// The fusions of `calls[range]` under flow plan `plan` (before its copies are made): one
    /// row; the attention's output read only by the projection; the projection's output read
    /// only by later add prologues of the run (as x2, nothing after the run); input columns a
    /// multiple of 32 (whole blocks) and below 65536 (the count's 16 bits); heads of a multiple
    /// of 8 dims; slices merged with tagged partials (the replicas merge too, which counting
    /// slices cannot do). Replicas: one per `headRows` output elements, at most as many per head
    /// as there are workgroups per head (at least 2).
    static func fusions(_ calls: [VulkanExecutor.PlannedCall], in range: Range<Int>, plan: FlowPlan, keep: Set<String>,
                        location: (String) -> MemoryPlan.Location, groups: Int, headRows: Int) -> [Fusion] {
        guard !offList.contains("fuse"), !offList.contains("merge") else { return [] }
        let oneRow = { (c: KernelCall) in c.push.count > 1 && c.push[0] == 1 && c.push[1] == 0 }
        var out: [Fusion] = []
        for i in range where i + 1 < range.upperBound {
            let ci = calls[i].call, cj = calls[i + 1].call
            guard let ki = stageKind(ci.kernel), let kj = stageKind(cj.kernel), ki.kind == 4, ci.push.count < 16,
                  kj.kind == 0, kj.norm == 0, oneRow(ci), oneRow(cj), cj.push.count > 6 else { continue }
            let input = ci.buffers[4], output = cj.buffers[2]
            let k2 = Int(cj.push[2]), n2 = Int(cj.push[3]), entries = location(output).size / 4
            let heads = Int(ci.push[2]), d = Int(ci.push[4])
            guard cj.buffers[0] == input, !keep.contains(input), k2 % 32 == 0, k2 < 65536, cj.push[6] == 0, n2 <= entries,
                  d % 8 == 0, heads * d == k2, plan.dropPlain.contains(output), plan.copies[output] != nil,
                  calls.indices.allSatisfy({ $0 == i || $0 == i + 1 || !calls[$0].call.buffers.contains(input) }),
                  ci.buffers.filter({ $0 == input }).count == 1 else { continue }
            let readers = range.filter { $0 != i + 1 && calls[$0].call.buffers.contains(output) }
            guard !readers.isEmpty, readers.allSatisfy({ r in
                let c = calls[r].call
                guard r > i + 1, let k = stageKind(c.kernel), k.kind != 4, k.norm == 2, c.push.count < 16 else { return false }
                return c.buffers[1] == output && c.buffers.filter({ $0 == output }).count == 1 && Int(c.push[2]) <= n2
            }) else { continue }
            let replicas = min((n2 + headRows - 1) / max(headRows, 1), max(2, groups / max(heads, 1)))
            out.append(Fusion(producer: i, fused: i + 1, readers: readers, input: input, output: output, entries: entries,
                              replicas: max(1, replicas)))
        }
        return out
    }

    /// Patches the stage words for fusion `f` whose counted output's two sets start at `sets`
    /// (f.entries 8-byte elements each): the fused stage becomes K_FUSED with the sets at
    /// slots 8 and 9, the producer gets flag 64, each reader flags 4 and 128, the sets at slots
    /// 1 and 11 and the count to wait for (the fused matrix's input columns) in push[15].
    static func applyFusion(_ f: Fusion, words: inout [Int: [UInt32]], sets: UInt64) {
        let odd = sets + UInt64(f.entries * 8)
        guard var fused = words[f.fused], var producer = words[f.producer] else { return }
        let columns = fused[4 + 2]
        fused[0] = 5
        setSlot(&fused, 8, sets)
        setSlot(&fused, 9, odd)
        words[f.fused] = fused
        producer[3] |= 64
        producer[4 + 15] = UInt32(f.replicas)
        words[f.producer] = producer
        for r in f.readers {
            guard var w = words[r] else { continue }
            w[3] |= 4 | 128
            setSlot(&w, 1, sets)
            setSlot(&w, 11, odd)
            w[4 + 15] = columns
            words[r] = w
        }
    }
}
