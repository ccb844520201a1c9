import CVulkan
import Foundation
import SluiceGraph
import SluicePasses

/// Runs a graph on a Vulkan device. At creation the graph is scheduled, planned into one
/// arena, its weights uploaded, and every dispatch recorded into one command buffer; each
/// `run` writes the step values (T, P, C) and the inputs, submits that same command buffer
/// and reads the outputs back.
public final class VulkanExecutor {
    public let device: VulkanDevice
    public let graph: Graph
    /// The memory plan, with the dispatch plan's scratch buffers added (lower()).
    public private(set) var plan: MemoryPlan
    /// Device memory of those scratch buffers.
    public private(set) var scratchBytes = 0
    /// Dispatches in recorded order, with the op each came from and whether a barrier precedes it.
    public private(set) var dispatches: [(op: String, kernel: String, barrier: Bool)] = []
    public var barrierCount: Int { dispatches.filter(\.barrier).count }
    let maxBindings: Bindings
    let library: KernelLibrary
    var buffers: [MemoryPlan.Root: GPUBuffer] = [:]
    let stepBuffer: GPUBuffer
    var readback: GPUBuffer!
    var readbackOffsets: [String: Int] = [:]
    var commandBuffer: VkCommandBuffer!
    var descriptorPool: VkDescriptorPool?
    /// The views of the texel bindings in the pool's sets (ExecutorDescriptors.swift).
    var bufferViews: [VkBufferView] = []
    let fence: Fence
    var profiler: Profiler?
    var tableRows: [String: Int] = [:]
    /// Rows of the smallest state written by a cache update (the context capacity).
    var cacheRows: Int?
    var outputValues: [String: Value] = [:]
    public let resident: ResidentBuffers
    /// The lowered calls, kept to record again without the persistent kernel.
    var plannedCalls: [PlannedCall] = []
    var persistent = Persistent.Settings(enabled: false, groups: 1, spinLimit: 0)
    /// Stage tables and arrival counters of the persistent dispatches (device-local: every
    /// workgroup polls its counter), and where each run copies the counters' failure flags
    /// for the host.
    var stageTables: [GPUBuffer] = []
    var syncBuffers: [GPUBuffer] = []
    /// The persistent runs' tagged copies in dataflow mode (PersistentFlow.swift).
    var stageCopies: [GPUBuffer] = []
    /// Each persistent run's dataflow plan (nil: grid barriers).
    var stageFlows: [Persistent.FlowPlan?] = []
    /// Per stage table, the kernel variant (the fallback's note names those that gave up).
    var stageVariants: [String] = []
    /// Times the persistent kernel gave up (tests).
    var fallbacks = 0
    var syncFlags: GPUBuffer?
    /// The recorded dispatches of one step, in order (kept to record chains of steps).
    var stepDispatches: [StepDispatch] = []
    /// Command buffers of chained greedy steps, by step count (ExecutorChain.swift).
    var chains: [Int: VkCommandBuffer] = [:]
    var chainIDs: GPUBuffer?
    var chainAdvance: StepDispatch?
    /// The planned calls each of `stepDispatches` covers.
    var stepCallRanges: [Range<Int>] = []
    /// A chain's fused tail and its partial results (ExecutorChainTail.swift).
    var chainTailDispatch: StepDispatch?
    var chainParts: GPUBuffer?
    /// The host's time per chained step (nanoseconds; 0 before the first chain), for the
    /// chains' waits (ExecutorChain.swift).
    var chainStepNanos = 0.0
    /// chainProblem's answers by input and output (the plan does not change them).
    var chainProblems: [String: String?] = [:]
    /// SLUICE_CHAIN_STAMPS: timestamps in chains with the tail, by step count (diagnostics).
    var chainStamps: [Int: Profiler] = [:]
    /// The persistent kernel's timestamps under --profile (PersistentTrace.swift).
    var tracer: PersistentTracer?

    /// - Parameters:
    ///   - bindings: the largest size of each symbol (`T` rows per run, `C` cache rows).
    ///   - weights: data for every weight parameter, in the declared dtype and shape.
    ///   - resident: weight and state buffers shared with other executors of the same model
    ///     (prefill and decode graphs share one upload of the weights and one KV cache).
    public init(device: VulkanDevice, graph input: Graph, bindings: Bindings, weights: [String: HostTensor],
                resident: ResidentBuffers? = nil,
                registry: OpRegistry = .shared, kernels: KernelRegistry = .shared, profile: Bool = false) throws {
        self.device = device
        let resident = resident ?? ResidentBuffers()
        self.resident = resident
        FusedOps.register()
        try Verifier.verify(input, registry: registry)
        // Weight-only nodes (the fusions' weight concatenations) are computed once, here.
        let (folded, weights) = try WeightFolding.apply(input, weights: weights, cache: &resident.folded, registry: registry)
        graph = Scheduler.levelOrder(folded)
        maxBindings = bindings
        plan = try MemoryPlanner.plan(graph, bindings: bindings, alignment: DispatchPlan.alignment(device.info), registry: registry)
        library = KernelLibrary(device: device)
        stepBuffer = try GPUBuffer(device: device, size: 16, use: .hostVisible, label: "step values")
        fence = try Fence(device: device)
        try allocate(weights: weights)
        let values = graph.values
        outputValues = values.filter { graph.outputs.contains($0.key) }
        for node in graph.nodes {
            let def = try registry.definition(node.op)
            for o in node.outputs.indices {
                // A cache is state updated in place whose rows are the symbol C (other state,
                // such as split attention's counters, has fixed sizes).
                if case .update(let i) = def.storage(ofOutput: o), let first = values[node.inputs[i]]?.type.shape.first,
                   case .symbol = first, let rows = first.resolve(bindings) {
                    cacheRows = min(cacheRows ?? rows, rows)
                }
            }
        }
        persistent = Persistent.settings(device.info, plannedRows: bindings["T"] ?? 1)
        plannedCalls = try lower(registry: registry, kernels: kernels)
        try record(plannedCalls, profile: profile)
    }

    deinit {
        vkDeviceWaitIdle(device.handle)
        releaseDescriptors()
        freeCommandBuffers()
    }

    // MARK: - Buffers

    private func allocate(weights: [String: HostTensor]) throws {
        if plan.arenaBytes > 0 {
            buffers[.arena] = try GPUBuffer(device: device, size: plan.arenaBytes, use: .deviceLocal, label: "arena")
        }
        for p in graph.params {
            guard let exact = p.type.byteCount(maxBindings) else { throw BackendError.run("cannot size %\(p.name) \(p.type) under \(maxBindings)") }
            // Kernels read whole 32-bit words: round every buffer up to a multiple of 4 bytes.
            let size = (exact + 3) / 4 * 4
            switch p.kind {
            case .weight:
                guard let w = weights[p.name] else { throw BackendError.run("no data for weight %\(p.name)") }
                guard w.dtype == p.type.dtype, w.shape == p.type.resolve(maxBindings) else {
                    throw BackendError.run("weight %\(p.name) is \(w.dtype.rawValue)\(w.shape), the graph declares \(p.type)")
                }
                buffers[.param(p.name)] = try resident.buffer(p.name, size: size) {
                    let b = try GPUBuffer(device: device, size: size, use: .deviceLocal, label: "weight %\(p.name)")
                    try withBytes(w) { try b.upload($0) }
                    return b
                }
                tableRows[p.name] = w.shape.first ?? 0
            case .state:
                buffers[.param(p.name)] = try resident.buffer(p.name, size: size) {
                    let b = try GPUBuffer(device: device, size: size, use: .deviceLocal, label: "state %\(p.name)")
                    try b.zero()
                    return b
                }
            case .input, .intermediate:
                buffers[.param(p.name)] = try GPUBuffer(device: device, size: size, use: .hostVisible, label: "input %\(p.name)")
            }
        }
        var off = 0
        for o in graph.outputs {
            readbackOffsets[o] = off
            off += (plan.locations[o]!.size + 15) / 16 * 16
        }
        readback = try GPUBuffer(device: device, size: off, use: .readback, label: "outputs")
    }

    /// Nodes whose kernels round their inputs to float16 (the matrix-core kernels): their
    /// results agree with float32 to about 1e-3 of their largest value, not 1e-5.
    public var float16InputNodes: Set<String> {
        Set(plannedCalls.filter { $0.call.kernel.hasPrefix("matmul_coop") }.map(\.node))
    }

    // MARK: - Lowering and recording

    struct PlannedCall {
        var call: KernelCall
        var op: String
        var node: String = ""
        var pipeline: Pipeline
        var barrier: Bool
    }

    private func lower(registry: OpRegistry, kernels: KernelRegistry) throws -> [PlannedCall] {
        let d = try DispatchPlan.lower(graph, plan: plan, bindings: maxBindings, device: device.info, registry: registry, kernels: kernels)
        for (name, bytes) in d.scratch.sorted(by: { $0.key < $1.key }) {
            buffers[.param(name)] = try GPUBuffer(device: device, size: bytes, use: .deviceLocal, label: "scratch \(name)")
            plan.locations[name] = DispatchPlan.scratchLocation(name, bytes: bytes)
            scratchBytes += bytes
        }
        return try d.calls.indices.map { i in
            let c = d.calls[i]
            let p = try library.pipeline(c.kernel, bindings: c.buffers.count + 1, pushBytes: c.push.count * 4, constants: c.constants)
            return PlannedCall(call: c, op: d.ops[i], node: d.nodes[i], pipeline: p, barrier: d.barriers[i])
        }
    }

    /// One recorded dispatch of a step: a plain kernel or a persistent run.
    struct StepDispatch {
        var pipeline: Pipeline
        var set: VkDescriptorSet
        var push: [UInt32]
        var grid: (x: UInt32, y: UInt32)
        var barrier: Bool
    }

    func record(_ calls: [PlannedCall], profile: Bool) throws {
        let segments = persistent.enabled ? Persistent.segments(calls, maxStages: persistent.maxStages ?? .max) : calls.indices.map { ($0..<($0 + 1), nil) }
        profiler = profile ? try Profiler(device: device, count: segments.count) : nil
        try makeDescriptorPool(calls)
        stageTables = []; syncBuffers = []; stageCopies = []; stageFlows = []; dispatches = []; stepDispatches = []; stageVariants = []
        stepCallRanges = segments.map(\.range)
        for seg in segments where seg.variant != nil { try makeStageTable(calls, seg.range) }
        syncFlags = syncBuffers.isEmpty ? nil : try GPUBuffer(device: device, size: 4 * syncBuffers.count, use: .readback, label: "persistent failure flags")
        // Under --profile, the persistent kernel's trace variant where the device has a clock.
        tracer = profile && device.info.shaderDeviceClock && syncBuffers.count > 0 ? PersistentTracer(groups: persistent.groups) : nil
        var persistentIndex = 0
        for seg in segments {
            let pc = calls[seg.range.lowerBound]
            if let w = seg.variant {
                let fused = stageFlows[persistentIndex]?.fused ?? []
                let ops = seg.range.map { fused.contains($0) ? calls[$0].op + " (fused)" : calls[$0].op }
                let trace = try tracer?.add(device: device, ops: ops,
                                            barrier: calls[seg.range].enumerated().map { $0.offset > 0 && $0.element.barrier },
                                            flow: stageFlows[persistentIndex] != nil)
                stepDispatches.append(try persistentDispatch(variant: w, table: persistentIndex, stages: seg.range.count, barrier: pc.barrier,
                                                             trace: trace?.address ?? 0))
                persistentIndex += 1
                dispatches.append(("persistent", "persistent_\(w)", pc.barrier))
            } else {
                stepDispatches.append(StepDispatch(pipeline: pc.pipeline, set: try descriptorSet(pc), push: pc.call.push,
                                                   grid: (pc.call.grid.x, pc.call.grid.y), barrier: pc.barrier))
                dispatches.append((pc.op, pc.call.kernel, pc.barrier))
            }
        }
        profiler?.ops = segments.map { $0.variant == nil ? calls[$0.range.lowerBound].op : "persistent" }
        profiler?.details = segments.map { $0.variant == nil ? Self.profileDetail(calls[$0.range.lowerBound].call) : "persistent_\($0.variant!)" }
        // The chains' fused tail, made now so that its pipeline is not compiled during the
        // first chain (ExecutorChainTail.swift).
        if chainProblem() == nil { _ = try chainTail(input: "tokens", output: "next_token") }
        commandBuffer = try device.allocateCommandBuffer()
        let cb = commandBuffer!
        var begin = VkCommandBufferBeginInfo()
        begin.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO
        try check(vkBeginCommandBuffer(cb, &begin), "vkBeginCommandBuffer")
        profiler?.reset(cb)
        recordStep(cb, clear: true)
        memoryBarrier(cb, src: VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT.rawValue, dst: VK_PIPELINE_STAGE_TRANSFER_BIT.rawValue,
                      srcAccess: VK_ACCESS_SHADER_WRITE_BIT.rawValue, dstAccess: VK_ACCESS_TRANSFER_READ_BIT.rawValue)
        copyFailureFlags(cb)
        for o in graph.outputs {
            let loc = plan.locations[o]!
            var region = VkBufferCopy(srcOffset: VkDeviceSize(loc.offset), dstOffset: VkDeviceSize(readbackOffsets[o]!), size: VkDeviceSize(loc.size))
            vkCmdCopyBuffer(cb, buffers[loc.root]!.handle, readback.handle, 1, &region)
        }
        memoryBarrier(cb, src: VK_PIPELINE_STAGE_TRANSFER_BIT.rawValue, dst: VK_PIPELINE_STAGE_HOST_BIT.rawValue,
                      srcAccess: VK_ACCESS_TRANSFER_WRITE_BIT.rawValue, dstAccess: VK_ACCESS_HOST_READ_BIT.rawValue)
        try check(vkEndCommandBuffer(cb), "vkEndCommandBuffer")
    }

    /// The dispatches of one step. With `clear`, the persistent runs' arrival counters and
    /// failure flags start at zero (the barrier after the fill orders it before the kernels);
    /// a chain clears them before its first step only: each run's last workgroup to finish
    /// resets its counter, and the failure flags stay for the host (SLUICE_CHAIN_FILL=1
    /// clears the counters before every step, as before: A/B).
    func recordStep(_ cb: VkCommandBuffer, clear: Bool, only: Range<Int>? = nil) {
        let counterOnly = !clear && environmentValue("SLUICE_CHAIN_FILL") == "1"
        if clear || counterOnly {
            for sync in syncBuffers { vkCmdFillBuffer(cb, sync.handle, 0, VkDeviceSize(counterOnly ? 4 : 16), 0) }
            memoryBarrier(cb, src: VK_PIPELINE_STAGE_HOST_BIT.rawValue | VK_PIPELINE_STAGE_TRANSFER_BIT.rawValue | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT.rawValue,
                          dst: VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT.rawValue,
                          srcAccess: VK_ACCESS_HOST_WRITE_BIT.rawValue | VK_ACCESS_TRANSFER_WRITE_BIT.rawValue | VK_ACCESS_SHADER_WRITE_BIT.rawValue,
                          dstAccess: VK_ACCESS_SHADER_READ_BIT.rawValue | VK_ACCESS_SHADER_WRITE_BIT.rawValue)
        }
        profiler?.stamp(cb, 0)
        for (i, d) in stepDispatches.enumerated() where only?.contains(i) ?? true {
            if d.barrier { computeBarrier(cb) }
            dispatch(cb, d)
            profiler?.stamp(cb, i + 1)
        }
    }

    func dispatch(_ cb: VkCommandBuffer, _ d: StepDispatch) {
        vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, d.pipeline.handle)
        var s: VkDescriptorSet? = d.set
        vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, d.pipeline.layout, 0, 1, &s, 0, nil)
        if !d.push.isEmpty {
            d.push.withUnsafeBytes { vkCmdPushConstants(cb, d.pipeline.layout, VK_SHADER_STAGE_COMPUTE_BIT.rawValue, 0, UInt32($0.count), $0.baseAddress) }
        }
        vkCmdDispatch(cb, d.grid.x, d.grid.y, 1)
    }

    /// Copies each persistent run's failure flag to `syncFlags` (after a transfer barrier).
    func copyFailureFlags(_ cb: VkCommandBuffer) {
        for (i, sync) in syncBuffers.enumerated() {
            var region = VkBufferCopy(srcOffset: 4, dstOffset: VkDeviceSize(4 * i), size: 4)
            vkCmdCopyBuffer(cb, sync.handle, syncFlags!.handle, 1, &region)
        }
    }

    /// Frees the step's and the chains' command buffers (their descriptor sets go with the pool).
    func freeCommandBuffers() {
        var all = Array(chains.values)
        if let c = commandBuffer { all.append(c) }
        for c in all { var o: VkCommandBuffer? = c; vkFreeCommandBuffers(device.handle, device.commandPool, 1, &o) }
        commandBuffer = nil
        chains = [:]
        chainAdvance = nil
        chainTailDispatch = nil
    }

    func computeBarrier(_ cb: VkCommandBuffer) {
        memoryBarrier(cb, src: VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT.rawValue, dst: VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT.rawValue,
                      srcAccess: VK_ACCESS_SHADER_WRITE_BIT.rawValue,
                      dstAccess: VK_ACCESS_SHADER_READ_BIT.rawValue | VK_ACCESS_SHADER_WRITE_BIT.rawValue)
    }

    func memoryBarrier(_ cb: VkCommandBuffer, src: UInt32, dst: UInt32, srcAccess: UInt32, dstAccess: UInt32) {
        var b = VkMemoryBarrier()
        b.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER
        b.srcAccessMask = srcAccess
        b.dstAccessMask = dstAccess
        vkCmdPipelineBarrier(cb, src, dst, 0, 1, &b, 0, nil, 0, nil)
    }
}

/// Weight and state buffers by parameter name, shared by the executors of one model so the
/// weights are uploaded once and every graph sees the same KV cache.
public final class ResidentBuffers {
    var buffers: [String: GPUBuffer] = [:]
    /// Weights computed at load (e.g. concatenated projections), by name.
    var folded: [String: HostTensor] = [:]
    public init() {}

    func buffer(_ name: String, size: Int, create: () throws -> GPUBuffer) throws -> GPUBuffer {
        if let b = buffers[name] {
            guard b.size >= size else { throw BackendError.run("%\(name) is shared with \(b.size) bytes but needs \(size)") }
            return b
        }
        let b = try create()
        buffers[name] = b
        return b
    }

    /// Bytes held on the device.
    public var bytes: Int { buffers.values.reduce(0) { $0 + $1.size } }
}

/// The raw bytes of a host tensor, for uploads.
func withBytes<R>(_ t: HostTensor, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
    switch t.storage {
    case .f32(let a): return try a.withUnsafeBytes(body)
    case .i32(let a): return try a.withUnsafeBytes(body)
    case .raw(let b): return try body(b.bytes)
    }
}
