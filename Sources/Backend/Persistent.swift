import CVulkan
import Foundation

/// The persistent decode kernel (Kernels/persistent.comp): consecutive dispatches of the
/// matrix and split-attention kernels become stages of one dispatch whose workgroups meet
/// at grid barriers where the schedule had pipeline barriers. A decode step of a small
/// model is a chain of ~150 tiny dependent dispatches, and on a big GPU each costs more to
/// drain and relaunch than to compute; one dispatch for the chain removes that cost.
enum Persistent {
    /// Words per stage in the table (struct Stage of persistent.comp: 4 + 16 + 8·2).
    static let stageWords = 36

    struct Settings {
        var enabled: Bool
        /// Workgroups of the persistent dispatch; all must be resident at once.
        var groups: Int
        /// Polls of the arrival counter before a grid barrier gives up (0: at once).
        var spinLimit: UInt32
    }

    /// On by default for decode plans (at most 4 rows) on GPUs with buffer device addresses
    /// and subgroup arithmetic whose multiprocessor count the driver reports (NVIDIA), with
    /// one workgroup of 512 invocations per multiprocessor: that many are resident at once (the
    /// driver fits a workgroup's registers in one multiprocessor).
    /// SLUICE_PERSISTENT=0|1 overrides (1: on any capable device, prefill plans too; without a
    /// known count 64 workgroups on GPUs and 1 on CPU drivers), SLUICE_PERSISTENT_GROUPS sets
    /// the workgroup count.
    static func settings(_ info: DeviceInfo, plannedRows: Int) -> Settings {
        let env = ProcessInfo.processInfo.environment
        let capable = info.bufferDeviceAddress && info.subgroupArithmetic
        if var o = override { o.enabled = o.enabled && capable; return o }
        var on = capable && info.kind != .cpu && info.multiprocessors != nil && plannedRows <= 4
        switch env["SLUICE_PERSISTENT"] {
        case "0": on = false
        case "1": on = capable
        default: break
        }
        let known = info.multiprocessors ?? (info.kind == .cpu ? 1 : 64)
        var groups = env["SLUICE_PERSISTENT_GROUPS"].flatMap(Int.init).map { max(1, $0) } ?? known
        // A CPU driver gives no guarantee that two workgroups of a dispatch run side by side
        // (lavapipe's did not behave as if they did): one workgroup does every stage.
        if info.kind == .cpu { groups = 1 }
        groups = min(groups, Int(info.maxWorkGroupCount.0))
        return Settings(enabled: on, groups: groups, spinLimit: 1 << 22)
    }

    /// Settings for every executor created while set (tests).
    nonisolated(unsafe) static var override: Settings?

    /// A stage's kind and norm prologue from its kernel's name, or nil when the kernel has
    /// no stage form. `weight` is the kernel's weight type (nil for attention), `kv` the K/V
    /// cache type of the kernels that touch the caches (qkv_rope, attention_split).
    static func stageKind(_ kernel: String) -> (kind: UInt32, norm: UInt32, weight: String?, kv: String?)? {
        for kv in ["f32", "f16"] where kernel == "attention_split_subgroup_\(kv)" { return (4, 0, nil, kv) }
        if kernel == "argmax" { return offList.contains("argmax") ? nil : (5, 0, nil, nil) }
        let bases: [(String, UInt32)] = [("matmul_swiglu_", 1), ("matmul_geglu_", 2), ("qkv_rope_", 3), ("matmul_", 0)]
        guard let (prefix, kind) = bases.first(where: { kernel.hasPrefix($0.0) }) else { return nil }
        var rest = kernel.dropFirst(prefix.count)
        var kv: String?
        if kind == 3 {
            guard let t = ["f32", "f16"].first(where: { rest.hasSuffix("_" + $0) }) else { return nil }
            kv = t
            rest = rest.dropLast(t.count + 1)
        }
        let norms: [(String, UInt32)] = [("_addrms", 2), ("_rms", 1), ("_none", 0)]
        guard let (suffix, norm) = norms.first(where: { rest.hasSuffix($0.0) }) else { return nil }
        rest = rest.dropLast(suffix.count)
        for red in ["_subgroup", "_shared", "_texel"] where rest.hasSuffix(red) {
            let w = String(rest.dropLast(red.count))
            return StandardKernels.weightTypes.contains(where: { $0.rawValue == w }) ? (kind, norm, w, kv) : nil
        }
        return nil
    }

    /// Splits the recorded calls into runs: indices of single calls, or of ≥ 2 consecutive
    /// calls that one persistent dispatch covers, with its variant ("<weight type>_<cache
    /// type>": one of each per dispatch).
    static func segments(_ calls: [VulkanExecutor.PlannedCall]) -> [(range: Range<Int>, variant: String?)] {
        var out: [(range: Range<Int>, variant: String?)] = []
        var i = 0
        while i < calls.count {
            var j = i, weight: String?, cache: String?
            // A call joins when it has a stage form with the operands that form expects.
            while j < calls.count, calls[j].call.windows.isEmpty, let k = stageKind(calls[j].call.kernel),
                  (try? stage(calls[j], first: false, address: { _ in 0 })) != nil {
                if let w = k.weight {
                    if let have = weight, have != w { break }
                    weight = w
                }
                if let kv = k.kv {
                    if let have = cache, have != kv { break }
                    cache = kv
                }
                j += 1
            }
            // At least two stages besides an argmax: the LM head alone (another weight type than
            // the layers') with its argmax is faster as plain dispatches.
            if calls[i..<j].filter({ stageKind($0.call.kernel)?.kind != 5 }).count >= 2, let w = weight {
                out.append((i..<j, "\(w)_\(cache ?? "f32")"))
                i = j
            } else {
                out.append((i..<(i + 1), nil))
                i += 1
            }
        }
        return out
    }

    /// Parts of the kernel to leave out, for A/B runs (SLUICE_PERSISTENT_OFF, a comma-separated
    /// list): "early" (weight loads before the input row is staged) in the stage flags,
    /// "lastskip" (the last workgroup at a grid barrier skips its prefetch; it never polls) in
    /// the run flags.
    static var offList: Set<Substring> {
        Set((ProcessInfo.processInfo.environment["SLUICE_PERSISTENT_OFF"] ?? "").split(separator: ","))
    }
    /// "merge" (attention merges its own slices, the old way) is read by `mergedAttention`,
    /// "argmax" (no argmax stage: a plain dispatch) by `stageKind`, "fuse" (an argmax stage of
    /// its own after a grid barrier) by `fusedArgmax`,
    /// "preload" (no cache rows loaded at the grid barrier before attention) in the run flags.
    static var stageFlags: UInt32 { offList.contains("early") ? 1 : 0 }
    static var runFlags: UInt32 { (offList.contains("lastskip") ? 1 : 0) | (offList.contains("preload") ? 2 : 0) }

    /// Stages (indices into `calls`) of attention whose output row only the next stage reads,
    /// a matrix product without a norm prologue that starts after a grid barrier: such an
    /// attention writes its slices' partials and nothing else (norm field 1) and the product
    /// merges them while it stages its input row (norm mode 3), which takes the atomic count
    /// and the last slice's merge off the attention stage. `readers` counts the graph's reads
    /// of a value (a graph output counts as one more).
    static func mergedAttention(_ calls: ArraySlice<VulkanExecutor.PlannedCall>, readers: (String) -> Int) -> Set<Int> {
        guard !offList.contains("merge") else { return [] }
        var out: Set<Int> = []
        for i in calls.indices.dropLast() {
            let a = calls[i].call, m = calls[i + 1].call
            guard stageKind(a.kernel)?.kind == 4, let k = stageKind(m.kernel), k.kind == 0, k.norm == 0,
                  calls[i + 1].barrier, a.buffers.count == 6, a.push.count >= 8, m.push.count >= 3,
                  m.buffers.first == a.buffers[4], readers(a.buffers[4]) == 1 else { continue }
            let heads = Int(a.push[2]), dims = Int(a.push[4]), splits = Int(a.push[7])
            // The merge keeps a max, a sum and a weight per (head, slice) in 1024 floats of
            // shared memory, and the row in the staged row's 4096.
            guard heads * splits <= 512, heads * dims <= 4096, Int(m.push[2]) == heads * dims,
                  a.push[0] == m.push[0], a.push[1] == m.push[1] else { continue }
            out.insert(i)
        }
        return out
    }

    /// Stages (indices into `calls`) of one-row matrix products whose whole output row the
    /// next stage, an argmax, reads: the product keeps each subgroup's best column as it
    /// writes them and picks the index at its end (stage flags bit 1), and the argmax stage is
    /// left empty (norm field 1) with no grid barrier before it.
    static func fusedArgmax(_ calls: ArraySlice<VulkanExecutor.PlannedCall>) -> Set<Int> {
        guard !offList.contains("fuse") else { return [] }
        var out: Set<Int> = []
        for i in calls.indices.dropLast() {
            let m = calls[i].call, a = calls[i + 1].call
            guard let k = stageKind(m.kernel), k.kind == 0, stageKind(a.kernel)?.kind == 5,
                  m.push.count >= 7, a.push.count >= 3, a.buffers.count == 2 else { continue }
            let y = k.norm == 2 ? 4 : (k.norm == 1 ? 3 : 2)
            guard m.buffers.count > y, a.buffers[0] == m.buffers[y], m.push[0] == 1, m.push[1] == 0,
                  a.push[0] == 1, a.push[1] == 0, m.push[3] == a.push[2], m.push[5] == a.push[2], m.push[6] == 0 else { continue }
            out.insert(i)
        }
        return out
    }

    /// The stage words of one call: kind, norm, barrier flag, push constants, operand
    /// addresses in canonical slots.
    static func stage(_ pc: VulkanExecutor.PlannedCall, first: Bool, address: (String) -> UInt64) throws -> [UInt32] {
        let c = pc.call
        guard let k = stageKind(c.kernel), c.push.count <= 16 else {
            throw BackendError.unsupported("kernel \(c.kernel) has no stage in the persistent kernel")
        }
        var slots = [UInt64](repeating: 0, count: 8)
        let b = c.buffers.map(address)
        if k.kind == 4 {
            guard b.count == 6 else { throw BackendError.unsupported("kernel \(c.kernel) binds \(b.count) buffers, its stage expects 6") }
            for (i, a) in b.enumerated() { slots[i] = a }
        } else if k.kind == 5 {
            // Slot 5, the stage's scratch, is filled in by makeStageTable.
            guard b.count == 2 else { throw BackendError.unsupported("kernel \(c.kernel) binds \(b.count) buffers, its stage expects 2") }
            slots[0] = b[0]
            slots[4] = b[1]
        } else {
            let prefix = k.norm == 2 ? 3 : (k.norm == 1 ? 2 : 1)
            let own = k.kind == 3 ? 3 : 1
            guard b.count == prefix + 1 + own + (k.norm == 2 ? 1 : 0) else {
                throw BackendError.unsupported("kernel \(c.kernel) binds \(b.count) buffers, its stage expects \(prefix + 1 + own + (k.norm == 2 ? 1 : 0))")
            }
            slots[0] = b[0]
            if k.norm == 2 { slots[1] = b[1] }
            if k.norm != 0 { slots[2] = b[prefix - 1] }
            slots[3] = b[prefix]
            for o in 0..<own { slots[4 + o] = b[prefix + 1 + o] }
            if k.norm == 2 { slots[7] = b[b.count - 1] }
        }
        var words: [UInt32] = [k.kind, k.norm, pc.barrier && !first ? 1 : 0, 0]
        words += c.push + [UInt32](repeating: 0, count: 16 - c.push.count)
        words[3] = stageFlags
        for a in slots { words += [UInt32(truncatingIfNeeded: a), UInt32(truncatingIfNeeded: a >> 32)] }
        assert(words.count == stageWords)
        return words
    }
}

extension VulkanExecutor {
    /// Writes the stage table of one persistent run and makes its arrival counter.
    func makeStageTable(_ calls: ArraySlice<PlannedCall>) throws {
        var words: [UInt32] = []
        let users = graph.users, outputs = Set(graph.outputs)
        let merged = Persistent.mergedAttention(calls) { (users[$0]?.count ?? 0) + (outputs.contains($0) ? 1 : 0) }
        let fused = Persistent.fusedArgmax(calls)
        var barriers: [Bool] = []
        for (i, pc) in zip(calls.indices, calls) {
            var w = try Persistent.stage(pc, first: i == calls.startIndex) { name in
                let loc = plan.locations[name]!
                return buffers[loc.root]!.address + UInt64(loc.offset)
            }
            if merged.contains(i) { w[1] = 1; mergedAttentionStages += 1 }
            if merged.contains(i - 1) { w[1] = 3 }
            if fused.contains(i) { w[3] |= 2 }
            if fused.contains(i - 1) { w[1] = 1; w[2] = 0 }
            barriers.append(w[2] != 0)
            if w[0] == 5 {
                // The argmax stage's count and a (value, index) pair per row and workgroup.
                let rows = Int(w[4] &+ w[5] &* UInt32(maxBindings["T"] ?? 1))
                let scratch = try GPUBuffer(device: device, size: 4 + 8 * max(rows, 1) * persistent.groups, use: .deviceLocal,
                                            label: "persistent argmax scratch")
                try scratch.zero()
                argmaxScratch.append(scratch)
                w[30] = UInt32(truncatingIfNeeded: scratch.address)
                w[31] = UInt32(truncatingIfNeeded: scratch.address >> 32)
            }
            words += w
        }
        let table = try GPUBuffer(device: device, size: words.count * 4, use: .deviceLocal, label: "persistent stage table")
        try words.withUnsafeBytes { try table.upload($0) }
        stageTables.append(table)
        stageBarriers.append(barriers)
        syncBuffers.append(try GPUBuffer(device: device, size: 16, use: .deviceLocal, label: "persistent arrival counter"))
    }

    /// The dispatch of the persistent kernel over stage table `table`.
    func persistentDispatch(variant: String, table: Int, stages: Int, barrier: Bool, trace: UInt64) throws -> StepDispatch {
        let pipeline = try library.pipeline(trace != 0 ? "persistent_trace_\(variant)" : "persistent_\(variant)", bindings: 3, pushBytes: 24)
        let set = try descriptorSet(pipeline, [
            VkDescriptorBufferInfo(buffer: stepBuffer.handle, offset: 0, range: 16),
            VkDescriptorBufferInfo(buffer: stageTables[table].handle, offset: 0, range: VkDeviceSize(stageTables[table].size)),
            VkDescriptorBufferInfo(buffer: syncBuffers[table].handle, offset: 0, range: 16),
        ])
        stageVariants.append(variant)
        let push = [UInt32(stages), persistent.spinLimit, UInt32(persistent.groups), Persistent.runFlags,
                    UInt32(truncatingIfNeeded: trace), UInt32(trace >> 32)]
        return StepDispatch(pipeline: pipeline, set: set, push: push,
                            grid: (UInt32(persistent.groups), 1), barrier: barrier)
    }

    /// After a run: whether a persistent dispatch gave up at a grid barrier (its workgroups
    /// were not all resident at once). Then the executor records the step again — with one
    /// workgroup per multiprocessor when it had more, else with the plain dispatches —, clears
    /// the split-attention counters the abandoned run left behind, and the caller runs the
    /// step again (every write of a step depends only on its inputs) until this says false.
    func persistentFailed() throws -> Bool {
        guard persistent.enabled, let flags = syncFlags else { return false }
        let bytes = try flags.download(offset: 0, count: 4 * syncBuffers.count)
        let failed = stageVariants.indices.filter { i in bytes[(4 * i)..<(4 * i + 4)].contains { $0 != 0 } }
        guard !failed.isEmpty else { return false }
        failedVariants = failed.map { stageVariants[$0] }
        vkDeviceWaitIdle(device.handle)
        releaseDescriptors()
        freeCommandBuffers()
        let was = persistent.groups
        if let sms = device.info.multiprocessors, was > sms {
            persistent.groups = sms
            fallbackNote = "using \(sms), one per multiprocessor"
        } else {
            persistent.enabled = false
            fallbackNote = "using ordinary dispatches"
        }
        fallbackNote = "sluice: the persistent decode kernel's workgroups were not all resident at once (\(was) workgroups, persistent_\(failedVariants.joined(separator: ", persistent_"))); \(fallbackNote) (SLUICE_PERSISTENT_GROUPS sets fewer)\n"
        try record(plannedCalls, profile: profiler != nil)
        for node in graph.nodes where node.op == "attention_split" {
            try buffers[plan.locations[node.inputs[3]]!.root]!.zero()
        }
        return true
    }

    /// Said when the persistent kernel falls back to fewer workgroups or ordinary dispatches.
    func warnFallback() {
        FileHandle.standardError.write(Data(fallbackNote.utf8))
    }

    /// Whether the step runs through the persistent kernel (false after a fallback).
    public var usesPersistentKernel: Bool { persistent.enabled && !stageTables.isEmpty }
}

extension DeviceInfo {
    /// Whether a decode step runs through the persistent kernel on this device, and with how
    /// many workgroups (`sluice devices` prints it; the environment overrides apply).
    public var persistentDecode: (enabled: Bool, groups: Int) {
        let s = Persistent.settings(self, plannedRows: 1)
        return (s.enabled, s.groups)
    }
}
