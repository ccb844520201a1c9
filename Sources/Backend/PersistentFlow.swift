/// The persistent kernel's dataflow mode (Kernels/persistent_flow.glsl): no grid barriers;
/// a value that a stage writes and a later stage of the same run reads goes through a tagged
/// copy, and a stage waits only for its own inputs' tags. This file decides, per run of
/// stages, whether the mode applies and which copies it needs, and patches the stage words.
/// SLUICE_PERSISTENT_OFF=dataflow keeps the grid barriers.
extension Persistent {
    struct FlowPlan {
        /// Tagged copies (8 bytes per float of the value's size in the plan) by value name,
        /// and those of the new keys and values (2·kvd per row) by the K cache's address (the
        /// QKV stage and the attention stage may name the cache differently: the state and
        /// the value that writes it in place).
        var copies: [String: Int] = [:]
        var newKeys: [UInt64: Int] = [:]
        /// Attention stages that wait for new keys (set by applyFlow).
        var waitingAttention = 0
    }

    /// The operands of a stage that the mode reads or writes: tagged-slot inputs (slot,
    /// name), outputs (slot of the plain address, slot of the tagged copy, name), and the
    /// K cache a QKV stage writes or an attention stage reads.
    struct FlowOperands {
        var inputs: [(slot: Int, name: String)] = []
        var outputs: [(plain: Int, tagged: Int, name: String)] = []
        var cacheWritten: String?, cacheRead: String?
    }

    static func flowOperands(_ pc: VulkanExecutor.PlannedCall) -> FlowOperands? {
        let c = pc.call, b = c.buffers
        guard let k = stageKind(c.kernel) else { return nil }
        var f = FlowOperands()
        if k.kind == 4 {
            f.inputs = [(0, b[0])]
            f.outputs = [(4, 8, b[4])]
            f.cacheRead = b[1]
            return f
        }
        let prefix = k.norm == 2 ? 3 : (k.norm == 1 ? 2 : 1)
        f.inputs = [(0, b[0])] + (k.norm == 2 ? [(1, b[1])] : [])
        f.outputs = [(4, 8, b[prefix + 1])] + (k.norm == 2 ? [(7, 9, b[b.count - 1])] : [])
        if k.kind == 3 { f.cacheWritten = b[prefix + 2] }
        return f
    }

    /// The plan for `calls[range]`, or nil when the mode does not apply: switched off, a
    /// matrix stage whose row is longer than the kernel stages (4096), or a value written
    /// in the run that a stage reads other than through a tagged input.
    static func flowPlan(_ calls: [VulkanExecutor.PlannedCall], in range: Range<Int>, size: (String) -> Int,
                         address: (String) -> UInt64) -> FlowPlan? {
        guard !offList.contains("dataflow") else { return nil }
        var plan = FlowPlan()
        // What earlier stages of the run wrote: value names, and memory (names may alias).
        var written: Set<UInt64> = [], writtenNames: Set<String> = []
        for i in range {
            let c = calls[i].call
            guard let k = stageKind(c.kernel), let f = flowOperands(calls[i]) else { return nil }
            if k.kind != 4, c.push[2] > 4096 { return nil }
            // Every read of a value written earlier in the run is a tagged input.
            let tagged = Set(f.inputs.map(\.name))
            for (j, name) in c.buffers.enumerated() where !c.writes.contains(j) && written.contains(address(name)) && !tagged.contains(name) {
                // The attention stage reads the caches the QKV stage wrote (new keys waited on).
                if k.kind == 4, j == 1 || j == 2 { continue }
                return nil
            }
            for input in f.inputs where written.contains(address(input.name)) {
                // The writer must have written it under this name (its tagged copy's key).
                guard writtenNames.contains(input.name) else { return nil }
                plan.copies[input.name] = size(input.name) / 4
            }
            if let kc = f.cacheWritten {
                let heads = Int(c.push[3]), kvHeads = Int(c.push[4]), d = Int(c.push[5])
                let rows = size(f.outputs[0].name) / 4 / max(heads * d, 1)
                plan.newKeys[address(kc)] = rows * 2 * kvHeads * d
            }
            for o in f.outputs { written.insert(address(o.name)); writtenNames.insert(o.name) }
            if let kc = f.cacheWritten {
                written.insert(address(kc))
                written.insert(address(c.buffers[c.buffers.count - (k.norm == 2 ? 2 : 1)]))
            }
        }
        return plan
    }

    /// Patches the stage words of `calls[range]` (in `words`, by call index) for the mode:
    /// tagged inputs and outputs, plain outputs dropped where nothing else reads them (not a
    /// graph output, no call outside the run), the new keys' tags, the mode flag.
    static func applyFlow(_ plan: inout FlowPlan, _ calls: [VulkanExecutor.PlannedCall], in range: Range<Int>, keep: Set<String>,
                          words: inout [Int: [UInt32]], address: (String) -> UInt64, copy: (String) -> UInt64,
                          newKeys: (UInt64) -> UInt64) {
        func setSlot(_ w: inout [UInt32], _ s: Int, _ a: UInt64) {
            w[20 + 2 * s] = UInt32(truncatingIfNeeded: a)
            w[21 + 2 * s] = UInt32(truncatingIfNeeded: a >> 32)
        }
        var readOutside: Set<String> = keep
        for (j, pc) in calls.enumerated() where !range.contains(j) { readOutside.formUnion(pc.call.buffers) }
        for i in range {
            guard var w = words[i], let f = flowOperands(calls[i]) else { continue }
            for input in f.inputs where plan.copies[input.name] != nil {
                setSlot(&w, input.slot, copy(input.name))
                w[3] |= input.slot == 0 ? 2 : 4
            }
            for o in f.outputs {
                if plan.copies[o.name] != nil { setSlot(&w, o.tagged, copy(o.name)) }
                if plan.copies[o.name] != nil && !readOutside.contains(o.name) { setSlot(&w, o.plain, 0) }
            }
            if let kc = (f.cacheWritten ?? f.cacheRead).map(address), plan.newKeys[kc] != nil {
                setSlot(&w, 10, newKeys(kc))
                if f.cacheRead != nil { plan.waitingAttention += 1 }
            }
            if i == range.lowerBound { w[3] |= 8 }
            words[i] = w
        }
    }
}
