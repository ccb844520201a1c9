import CVulkan
import Foundation
import SluiceGraph

/// The persistent decode kernel (Kernels/persistent.comp): consecutive dispatches of the
/// matrix and split-attention kernels become stages of one dispatch whose workgroups meet
/// at grid barriers where the schedule had pipeline barriers. A decode step of a small
/// model is a chain of ~150 tiny dependent dispatches, and on a big GPU each costs more to
/// drain and relaunch than to compute; one dispatch for the chain removes that cost.
enum Persistent {
    /// Words per stage in the table (struct Stage of persistent.glsl: 4 + 16 + 12·2).
    static let stageWords = 44

    struct Settings {
        var enabled: Bool
        /// Workgroups of the persistent dispatch; all must be resident at once.
        var groups: Int
        /// Polls of the arrival counter before a grid barrier gives up (0: at once).
        var spinLimit: UInt32
        /// Workgroups to try once more with when `groups` were not all resident (one per
        /// multiprocessor), before ordinary dispatches.
        var retryGroups: Int? = nil
        /// Stages per persistent dispatch at most (nil: any number). On CPU drivers 20: on
        /// lavapipe a one-workgroup dispatch of the real model's 150 stages stopped after
        /// about 0.6 s of kernel time (its stage timestamps end there, in both modes) and
        /// the step's logits came out wrong; runs of 20 or 40 stages were right.
        var maxStages: Int? = nil
        /// Output elements per unit of the output projection fused into attention
        /// (PersistentFusion.swift; SLUICE_PERSISTENT_HEAD_ROWS).
        var headRows = 144
    }

    /// On by default for decode plans (at most 4 rows) on GPUs with buffer device addresses
    /// and subgroup arithmetic whose multiprocessor count the driver reports (NVIDIA), with
    /// two workgroups of 256 invocations per multiprocessor: that many are resident at once
    /// while the kernel takes at most 128 registers per invocation (SLUICE_PIPELINE_STATS
    /// prints the count; a run that finds them not resident retries with one per
    /// multiprocessor).
    /// SLUICE_PERSISTENT=0|1 overrides (1: on any capable device, prefill plans too; without a
    /// known count 64 workgroups on GPUs and 1 on CPU drivers), SLUICE_PERSISTENT_GROUPS sets
    /// the workgroup count.
    static func settings(_ info: DeviceInfo, plannedRows: Int) -> Settings {
        let capable = info.bufferDeviceAddress && info.subgroupArithmetic && info.int64Atomics
        if var o = override { o.enabled = o.enabled && capable; return o }
        var on = capable && info.kind != .cpu && info.multiprocessors != nil && plannedRows <= 4
        switch environmentValue("SLUICE_PERSISTENT") {
        case "0": on = false
        case "1": on = capable
        default: break
        }
        let known = info.multiprocessors.map { 2 * $0 } ?? (info.kind == .cpu ? 1 : 64)
        var groups = environmentValue("SLUICE_PERSISTENT_GROUPS").flatMap(Int.init).map { max(1, $0) } ?? known
        // A CPU driver gives no guarantee that two workgroups of a dispatch run side by side
        // (lavapipe's did not behave as if they did): one workgroup does every stage.
        if info.kind == .cpu { groups = 1 }
        groups = min(groups, Int(info.maxWorkGroupCount.0))
        var s = Settings(enabled: on, groups: groups, spinLimit: 1 << 22,
                         retryGroups: info.multiprocessors.flatMap { groups > $0 ? $0 : nil },
                         maxStages: info.kind == .cpu ? 20 : nil)
        if let rows = environmentValue("SLUICE_PERSISTENT_HEAD_ROWS").flatMap(Int.init) { s.headRows = max(rows, 1) }
        return s
    }

    /// Settings for every executor created while set (tests).
    nonisolated(unsafe) static var override: Settings?

    /// A stage's kind and norm prologue from its kernel's name, or nil when the kernel has
    /// no stage form. `weight` is the kernel's weight type (nil for attention), `kv` the K/V
    /// cache type of the kernels that touch the caches (qkv_rope, attention_split).
    static func stageKind(_ kernel: String) -> (kind: UInt32, norm: UInt32, weight: String?, kv: String?)? {
        for kv in ["f32", "f16"] where kernel == "attention_split_subgroup_\(kv)" { return (4, 0, nil, kv) }
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
            return StandardKernels.splitLoadTypes.contains(where: { $0.rawValue == w }) ? (kind, norm, w, kv) : nil
        }
        return nil
    }

    /// How many operands of a matrix kernel come before its weight: x, then x2 with the add
    /// prologue, then the norm weight with any norm.
    static func prologueOperands(_ norm: UInt32) -> Int { norm == 2 ? 3 : (norm == 1 ? 2 : 1) }

    /// Splits the recorded calls into runs: indices of single calls, or of ≥ 2 consecutive
    /// calls that one persistent dispatch covers, with its variant ("<weight type>_<cache
    /// type>": one of each per dispatch).
    static func segments(_ calls: [VulkanExecutor.PlannedCall], maxStages: Int = .max) -> [(range: Range<Int>, variant: String?)] {
        var out: [(range: Range<Int>, variant: String?)] = []
        var i = 0
        while i < calls.count {
            var j = i, weight: String?, cache: String?
            // A call joins when it has a stage form with the operands that form expects.
            while j < calls.count, j - i < maxStages, calls[j].call.windows.isEmpty, let k = stageKind(calls[j].call.kernel),
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
            if j - i >= 2, let w = weight {
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
    /// the run flags; "dataflow" (grid barriers instead), "rotate" (every stage from
    /// workgroup 0) and "merge" (split attention counts its slices and the last merges, without
    /// tagged partials: PersistentFlow.taggedSplits) in the stage table.
    static var offList: Set<Substring> {
        Set((environmentValue("SLUICE_PERSISTENT_OFF") ?? "").split(separator: ","))
    }
    static var stageFlags: UInt32 { offList.contains("early") ? 1 : 0 }
    /// Run flags (A/B switches): 1 the last workgroup at a grid barrier prefetches too, 4 the
    /// attention stage waits for the new keys, then for the query (one after the other), 8
    /// ("fresh") the QKV stage fences its cache writes before tagging the new keys and the
    /// attention stage reads them from the caches, not from their tagged copies, 16 ("tagged")
    /// rows whose inputs are all tagged are staged by the general stageRowFlow, 32
    /// ("preload") attention units load their slice's first cached keys into shared memory
    /// after waiting for their inputs, not before, 64 ("swizzle") those keys are kept in
    /// shared memory in order rather than swizzled (persistent_attention.glsl's kquad).
    static var runFlags: UInt32 {
        (offList.contains("lastskip") ? 1 : 0) | (offList.contains("inputs") ? 4 : 0) | (offList.contains("fresh") ? 8 : 0)
            | (offList.contains("tagged") ? 16 : 0) | (offList.contains("preload") ? 32 : 0) | (offList.contains("swizzle") ? 64 : 0)
    }

    /// The stage words of one call: kind, norm, barrier flag, push constants, operand
    /// addresses in canonical slots.
    static func stage(_ pc: VulkanExecutor.PlannedCall, first: Bool, address: (String) -> UInt64) throws -> [UInt32] {
        let c = pc.call
        guard let k = stageKind(c.kernel), c.push.count <= 16 else {
            throw BackendError.unsupported("kernel \(c.kernel) has no stage in the persistent kernel")
        }
        var slots = [UInt64](repeating: 0, count: 12)
        let b = c.buffers.map(address)
        if k.kind == 4 {
            guard b.count == 6 else { throw BackendError.unsupported("kernel \(c.kernel) binds \(b.count) buffers, its stage expects 6") }
            for (i, a) in b.enumerated() { slots[i] = a }
        } else {
            let prefix = prologueOperands(k.norm)
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
    /// Writes the stage table of one persistent run over `calls[range]` (in dataflow mode
    /// where it applies, with its tagged copies: PersistentFlow.swift) and makes its
    /// arrival counter.
    func makeStageTable(_ calls: [PlannedCall], _ range: Range<Int>) throws {
        let address = { (name: String) -> UInt64 in
            let loc = self.plan.locations[name]!
            return self.buffers[loc.root]!.address + UInt64(loc.offset)
        }
        var perCall: [Int: [UInt32]] = [:]
        for i in range { perCall[i] = try Persistent.stage(calls[i], first: i == range.lowerBound, address: address) }
        var flow = Persistent.flowPlan(calls, in: range, keep: Set(graph.outputs)) { plan.locations[$0]! }
        if var flow {
            let fusions = Persistent.fusions(calls, in: range, plan: flow, keep: Set(graph.outputs),
                                             location: { plan.locations[$0]! }, groups: persistent.groups, headRows: persistent.headRows)
            for f in fusions { flow.copies[f.input] = nil; flow.copies[f.output] = nil }
            var copies: [String: GPUBuffer] = [:], newKeys: [String: GPUBuffer] = [:]
            for (name, count) in flow.copies {
                copies[name] = try GPUBuffer(device: device, size: max(count, 1) * 8, use: .deviceLocal, label: "tagged copy of \(name)")
            }
            for (name, count) in flow.newKeys {
                newKeys[name] = try GPUBuffer(device: device, size: max(count, 1) * 8, use: .deviceLocal, label: "new keys' tags")
            }
            for b in Array(copies.values) + Array(newKeys.values) { try b.zero(); stageCopies.append(b) }
            Persistent.applyFlow(&flow, calls, in: range, words: &perCall, location: { plan.locations[$0]! },
                                 copy: { copies[$0]!.address }, newKeys: { newKeys[$0]!.address })
            let splits = Persistent.taggedSplits(calls, in: range, location: { plan.locations[$0]! })
            flow.taggedSplits = splits.count
            for split in splits {
                let partials = try GPUBuffer(device: device, size: max(split.entries, 1) * 8, use: .deviceLocal, label: "tagged attention partials")
                try partials.zero()
                stageCopies.append(partials)
                Persistent.applyTaggedSplit(split.stage, words: &perCall, partials: partials.address)
            }
            for f in fusions {
                let sets = try GPUBuffer(device: device, size: 2 * max(f.entries, 1) * 8, use: .deviceLocal, label: "counted sums")
                try sets.zero()
                stageCopies.append(sets)
                Persistent.applyFusion(f, words: &perCall, sets: sets.address)
            }
            flow.fused = Set(fusions.map(\.fused))
            flow.replicas = fusions.map(\.replicas).max() ?? 0
            stageFlows.append(flow)
            if !Persistent.offList.contains("rotate") {
                Persistent.rotate(calls, in: range, words: &perCall, groups: persistent.groups,
                                  subgroupsPerGroup: max(1, 256 / max(device.info.subgroupSize, 1)))
            }
        } else {
            stageFlows.append(nil)
        }
        let words = range.flatMap { perCall[$0]! }
        let table = try GPUBuffer(device: device, size: words.count * 4, use: .deviceLocal, label: "persistent stage table")
        try words.withUnsafeBytes { try table.upload($0) }
        stageTables.append(table)
        // The arrival counter and give-up flag (cleared every step), the tag generation and
        // exit count (kept).
        let sync = try GPUBuffer(device: device, size: 32, use: .deviceLocal, label: "persistent arrival counter")
        try sync.zero()
        syncBuffers.append(sync)
    }

    /// The dispatch of the persistent kernel over stage table `table`.
    func persistentDispatch(variant: String, table: Int, stages: Int, barrier: Bool, trace: UInt64) throws -> StepDispatch {
        // CPU drivers: even passes of the matrix stages (EVEN_PASSES, constant 1; constant 0 is
        // matvec.glsl's R, left at 1).
        let pipeline = try library.pipeline(trace != 0 ? "persistent_trace_\(variant)" : "persistent_\(variant)", bindings: 3, pushBytes: 28,
                                            constants: device.info.kind == .cpu ? [1, 1] : [])
        let set = try descriptorSet(pipeline, [
            VkDescriptorBufferInfo(buffer: stepBuffer.handle, offset: 0, range: 16),
            VkDescriptorBufferInfo(buffer: stageTables[table].handle, offset: 0, range: VkDeviceSize(stageTables[table].size)),
            VkDescriptorBufferInfo(buffer: syncBuffers[table].handle, offset: 0, range: 32),
        ])
        stageVariants.append(variant)
        let push = [UInt32(stages), persistent.spinLimit, UInt32(persistent.groups), Persistent.runFlags,
                    UInt32(truncatingIfNeeded: trace), UInt32(trace >> 32), 0]
        return StepDispatch(pipeline: pipeline, set: set, push: push,
                            grid: (UInt32(persistent.groups), 1), barrier: barrier)
    }

    /// After a run: whether a persistent dispatch gave up at a grid barrier (its workgroups
    /// were not all resident at once). Then the executor records the step again — with one
    /// workgroup per multiprocessor when it had more, else with the plain dispatches —, clears
    /// the split-attention counters the abandoned run left behind, says so on stderr (naming
    /// the dispatches that gave up), and the caller runs the step again (every write of a step
    /// depends only on its inputs) until this says false.
    func persistentFailed() throws -> Bool {
        guard persistent.enabled, let flags = syncFlags else { return false }
        let bytes = try flags.download(offset: 0, count: 4 * syncBuffers.count)
        let failed = stageVariants.indices.filter { i in bytes[(4 * i)..<(4 * i + 4)].contains { $0 != 0 } }
        guard !failed.isEmpty else { return false }
        vkDeviceWaitIdle(device.handle)
        releaseDescriptors()
        freeCommandBuffers()
        let was = persistent.groups, names = failed.map { "persistent_" + stageVariants[$0] }.joined(separator: ", ")
        fallbacks += 1
        let next: String
        if let fewer = persistent.retryGroups, fewer < was {
            persistent.groups = fewer
            persistent.retryGroups = nil
            next = "using \(fewer)"
        } else {
            persistent.enabled = false
            next = "using ordinary dispatches"
        }
        FileHandle.standardError.write(Data("sluice: the persistent decode kernel's workgroups were not all resident at once (\(was) workgroups, \(names)); \(next) (SLUICE_PERSISTENT_GROUPS sets fewer)\n".utf8))
        try record(plannedCalls, profile: profiler != nil)
        for node in graph.nodes where node.op == "attention_split" {
            try buffers[plan.locations[node.inputs[3]]!.root]!.zero()
        }
        return true
    }

    /// Device-local memory of the persistent runs beyond the arena: stage tables, arrival
    /// counters, tagged copies and partials, and the chained tail's partial argmax.
    public var persistentDeviceBytes: Int {
        (stageTables + syncBuffers + stageCopies).reduce(0) { $0 + $1.size } + (chainParts?.size ?? 0)
    }

    /// The stage count of each persistent run.
    var persistentStageCounts: [Int] { stageTables.map { $0.size / 4 / Persistent.stageWords } }

    /// Each persistent run's stage count and whether it runs in dataflow mode (--profile).
    public var persistentModes: [(stages: Int, dataflow: Bool)] {
        usesPersistentKernel ? zip(persistentStageCounts, stageFlows).map { ($0, $1 != nil) } : []
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
