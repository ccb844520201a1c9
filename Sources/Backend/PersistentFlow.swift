import SluicePasses

/// The persistent kernel's dataflow mode (Kernels/persistent_flow.glsl): no grid barriers;
/// a value that a stage writes and a later stage of the same run reads goes through a tagged
/// copy, and a stage waits only for its own inputs' tags. This file decides, per run of
/// stages, whether the mode applies and which copies it needs, and patches the stage words.
/// SLUICE_PERSISTENT_OFF=dataflow keeps the grid barriers.
extension Persistent {
    struct FlowPlan {
        /// Tagged copies (8 bytes per float of the value's size in the plan) by value name,
        /// and those of the new keys and values (2·kvd per row) by the K cache's place (the
        /// QKV stage and the attention stage may name the cache differently: the state and
        /// the value that writes it in place).
        var copies: [String: Int] = [:]
        var newKeys: [String: Int] = [:]
        /// Outputs written only to their tagged copies (nothing reads them after the run).
        var dropPlain: Set<String> = []
        /// Attention stages that wait for new keys (set by applyFlow).
        var waitingAttention = 0
        /// Attention stages whose slices' partials carry tags (taggedSplits; set by makeStageTable).
        var taggedSplits = 0
        /// Matrix stages fused into the stage before them, by call index (PersistentFusion.swift;
        /// set by makeStageTable).
        var fused: Set<Int> = []
        /// The most units per head's last slice among them.
        var replicas = 0
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
        let prefix = prologueOperands(k.norm)
        f.inputs = [(0, b[0])] + (k.norm == 2 ? [(1, b[1])] : [])
        f.outputs = [(4, 8, b[prefix + 1])] + (k.norm == 2 ? [(7, 9, b[b.count - 1])] : [])
        if k.kind == 3 { f.cacheWritten = b[prefix + 2] }
        return f
    }

    /// The plan for `calls[range]`, or nil when the mode does not apply: switched off, a
    /// matrix stage whose row is longer than the kernel stages (4096), a value written in the
    /// run that a later stage reads other than through a tagged input (the caches excepted:
    /// attention waits for the new keys' tags), or a write that could land before an earlier
    /// stage's workgroups are done with the memory. Without barriers, stage i's workgroups
    /// are only known to be past it when a stage waited for every element they wrote —
    /// directly (a matrix stage stages its whole input row; the units of an attention stage
    /// together wait for all of the QKV stage's outputs) or through the waits of the stages
    /// it waited for (`done` and `after` below); a write that overlaps what stage i reads or
    /// writes plainly must come from a stage that has i done. `keep` are the values read
    /// after the run (graph outputs); `location` places a value in memory.
    static func flowPlan(_ calls: [VulkanExecutor.PlannedCall], in range: Range<Int>, keep: Set<String>,
                         location: (String) -> MemoryPlan.Location) -> FlowPlan? {
        guard !offList.contains("dataflow") else { return nil }
        var plan = FlowPlan()
        var ops: [Int: FlowOperands] = [:]
        // Writers of each value, and whether every workgroup taking part in the stage writes
        // some of it (a stage's output; workgroup 0 alone writes the sums).
        var producer: [String: [(stage: Int, all: Bool)]] = [:]
        for i in range {
            let c = calls[i].call
            guard let k = stageKind(c.kernel), let f = flowOperands(calls[i]) else { return nil }
            if k.kind != 4, c.push[2] > 4096 { return nil }
            ops[i] = f
            for input in f.inputs where producer[input.name] != nil { plan.copies[input.name] = location(input.name).size / 4 }
            if let kc = f.cacheWritten {
                let heads = Int(c.push[3]), kvHeads = Int(c.push[4]), d = Int(c.push[5])
                let rows = location(f.outputs[0].name).size / 4 / max(heads * d, 1)
                plan.newKeys[key(location(kc))] = rows * 2 * kvHeads * d
            }
            for o in f.outputs { producer[o.name, default: []].append((i, o.plain == 4)) }
        }
        var readOutside = keep
        for (j, pc) in calls.enumerated() where !range.contains(j) { readOutside.formUnion(pc.call.buffers) }
        plan.dropPlain = Set(plan.copies.keys).subtracting(readOutside)
        // Plain reads and writes per stage (tagged inputs and dropped outputs excluded), and
        // the stages each stage has done before it writes.
        var reads: [Int: [(index: Int, at: MemoryPlan.Location)]] = [:], writes: [Int: [MemoryPlan.Location]] = [:]
        var done: [Int: Set<Int>] = [:], after: [Int: Set<Int>] = [:]
        for i in range {
            let c = calls[i].call, f = ops[i]!
            let tagged = Set(f.inputs.map(\.name)).intersection(plan.copies.keys)
            reads[i] = c.buffers.enumerated().filter { !c.writes.contains($0.offset) && !tagged.contains($0.element) }
                .map { ($0.offset, location($0.element)) }
            writes[i] = c.buffers.enumerated().filter { c.writes.contains($0.offset) && !plan.dropPlain.contains($0.element) }
                .map { location($0.element) }
            // `done`: complete when any workgroup of the stage writes; `after`: complete once
            // all its workgroups are (a matrix stage: itself too; an attention stage: also the
            // stages whose outputs its units wait on, which together they wait on whole).
            let attention = stageKind(c.kernel)!.kind == 4
            var d: Set<Int> = [], whole: Set<Int> = []
            for input in f.inputs where plan.copies[input.name] != nil {
                for p in producer[input.name]! where p.stage < i {
                    // A matrix stage waits for every element of its input row: when all of the
                    // writer's workgroups write some, they are all past that stage.
                    d.formUnion(!attention && p.all ? after[p.stage]! : done[p.stage]!)
                    if p.all { whole.formUnion(after[p.stage]!) }
                }
            }
            done[i] = d
            after[i] = d.union([i]).union(attention ? whole : [])
        }
        for j in range {
            let isAttention = ops[j]!.cacheRead != nil
            for i in range where i < j {
                // Read after a plain write: never waited for, except the caches.
                for r in reads[j]! {
                    for w in writes[i]! where w.overlaps(r.at) {
                        let cache = isAttention && (r.index == 1 || r.index == 2) && ops[i]!.cacheWritten != nil
                            && plan.newKeys[key(location(calls[j].call.buffers[1]))] != nil
                        if !cache { return nil }
                    }
                }
                // Writes over what stage i reads or writes plainly.
                guard !done[j]!.contains(i) else { continue }
                for w in writes[j]! where reads[i]!.contains(where: { $0.at.overlaps(w) }) || writes[i]!.contains(where: { $0.overlaps(w) }) {
                    return nil
                }
            }
        }
        return plan
    }

    /// Dataflow mode: gives each stage a workgroup offset (flags >> 16; the kernel's `wgId`)
    /// that starts it where the stage before it stopped, so that consecutive stages run on
    /// different workgroups (as far as there are enough) and a stage's workgroups load its
    /// weights while the stage before it still runs. Any offset computes the same.
    static func rotate(_ calls: [VulkanExecutor.PlannedCall], in range: Range<Int>, words: inout [Int: [UInt32]],
                       groups: Int, subgroupsPerGroup: Int) {
        var offset = 0
        for i in range {
            // A fused stage (done by the stage before it) takes no workgroups.
            guard var w = words[i], w[0] != 5, let k = stageKind(calls[i].call.kernel) else { continue }
            let p = calls[i].call.push.map(Int.init)
            let used: Int
            switch k.kind {
            case 4: used = p[2] * p[7]                                               // heads × slices
            case 3: used = (p[3] * p[5] + 2 * p[4] * p[5]) / 2 / subgroupsPerGroup + 1 // QKV pairs
            default: used = p[3] / subgroupsPerGroup + 1                              // columns (pairs)
            }
            w[3] = (w[3] & 0xFFFF) | UInt32(offset) << 16
            words[i] = w
            offset = (offset + min(used, groups)) % groups
        }
    }

    /// Split attention with tagged partials (persistent_attention.glsl's taggedSlice): every
    /// attention stage of `calls[range]`, with the entries of its partials (rows · heads ·
    /// slices · (D + 2)). The last slice merges the others' partials as their tags arrive
    /// instead of counting slices. Off with SLUICE_PERSISTENT_OFF=merge (the counted merge).
    static func taggedSplits(_ calls: [VulkanExecutor.PlannedCall], in range: Range<Int>,
                             location: (String) -> MemoryPlan.Location) -> [(stage: Int, entries: Int)] {
        guard !offList.contains("merge") else { return [] }
        return range.compactMap { i in
            let c = calls[i].call
            guard stageKind(c.kernel)?.kind == 4 else { return nil }
            let heads = Int(c.push[2]), d = Int(c.push[4]), slices = Int(c.push[7])
            guard heads > 0, d > 0 else { return nil }
            let rows = location(c.buffers[4]).size / 4 / (heads * d)
            return (i, rows * heads * slices * (d + 2))
        }
    }

    /// Marks an attention stage of taggedSplits: flag 32, its tagged partials at slot 11.
    static func applyTaggedSplit(_ stage: Int, words: inout [Int: [UInt32]], partials: UInt64) {
        guard var w = words[stage] else { return }
        w[3] |= 32
        setSlot(&w, 11, partials)
        words[stage] = w
    }

    /// Operand slot s of a stage's words (struct Stage's ptr[s]) set to address a.
    static func setSlot(_ w: inout [UInt32], _ s: Int, _ a: UInt64) {
        w[20 + 2 * s] = UInt32(truncatingIfNeeded: a)
        w[21 + 2 * s] = UInt32(truncatingIfNeeded: a >> 32)
    }

    /// A buffer's identity for the new keys' tags: where it starts.
    static func key(_ l: MemoryPlan.Location) -> String { "\(l.root)@\(l.offset)" }

    /// Patches the stage words of `calls[range]` (in `words`, by call index) for the mode:
    /// tagged inputs and outputs, plain outputs dropped where nothing reads them after the
    /// run, the new keys' tags, the mode flag.
    static func applyFlow(_ plan: inout FlowPlan, _ calls: [VulkanExecutor.PlannedCall], in range: Range<Int>,
                          words: inout [Int: [UInt32]], location: (String) -> MemoryPlan.Location,
                          copy: (String) -> UInt64, newKeys: (String) -> UInt64) {
        for i in range {
            guard var w = words[i], let f = flowOperands(calls[i]) else { continue }
            for input in f.inputs where plan.copies[input.name] != nil {
                setSlot(&w, input.slot, copy(input.name))
                w[3] |= input.slot == 0 ? 2 : 4
            }
            for o in f.outputs {
                if plan.copies[o.name] != nil { setSlot(&w, o.tagged, copy(o.name)) }
                if plan.dropPlain.contains(o.name) { setSlot(&w, o.plain, 0) }
            }
            if let kc = (f.cacheWritten ?? f.cacheRead).map({ key(location($0)) }), plan.newKeys[kc] != nil {
                setSlot(&w, 10, newKeys(kc))
                if f.cacheRead != nil { plan.waitingAttention += 1 }
            }
            if i == range.lowerBound { w[3] |= 8 }
            words[i] = w
        }
    }
}
