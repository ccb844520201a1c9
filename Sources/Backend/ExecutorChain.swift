import CVulkan
import Foundation
import SluiceGraph

/// Greedy decode steps chained on the GPU: one submission runs several steps of a one-row
/// plan, a small kernel between two steps feeding the token one step chose to the next as
/// its input and advancing the position, so no host round trip separates them (on a big
/// GPU that round trip costs about a tenth of a small model's step).
extension VulkanExecutor {
    /// The most steps one chain runs.
    public static let maxChainSteps = 32

    /// Runs `steps` decode steps in one submission. Step i feeds `input` (one i32) with
    /// `first` for i = 0 and with step i − 1's `output` (one i32) after, at position
    /// past + i; returns every step's `output`. The results and the cache are those of
    /// `steps` calls of `run`.
    public func runChain(first: Int32, past: Int, steps: Int, input: String = "tokens", output: String = "next_token") throws -> [Int32] {
        guard (1...Self.maxChainSteps).contains(steps) else {
            throw BackendError.run("a chain runs 1 to \(Self.maxChainSteps) steps, not \(steps)")
        }
        if let why = chainProblem(input: input, output: output) { throw BackendError.run(why) }
        if let cap = cacheRows, past + steps > cap {
            throw BackendError.run("context full: \(past) cached + \(steps) chained rows exceed the cache's \(cap) rows")
        }
        try checkTokenIDs([input: [first]])
        let cb = try chainCommandBuffer(steps, input: input, output: output)
        let nanos = try submitChain(cb, first: first, past: past, input: input, steps: steps)
        chainStampReport(steps: steps, wallMicros: nanos / 1000)
        while try persistentFailed() {
            try submitChain(try chainCommandBuffer(steps, input: input, output: output), first: first, past: past, input: input, steps: steps)
        }
        let bytes = try chainIDs!.download(offset: 0, count: 4 * steps)
        return bytes.withUnsafeBytes { Array($0.bindMemory(to: Int32.self)) }
    }

    /// Why this plan cannot run chained steps feeding `output` back into `input`, or nil.
    public func chainProblem(input: String = "tokens", output: String = "next_token") -> String? {
        // Asked before every chain: the answer is the plan's, found once.
        let key = input + "\u{0}" + output
        if let known = chainProblems[key] { return known }
        let why = findChainProblem(input: input, output: output)
        chainProblems[key] = .some(why)
        return why
    }

    private func findChainProblem(input: String, output: String) -> String? {
        // Profiling times every step's dispatches: a submission per step.
        guard profiler == nil else { return "profiling runs a submission per step" }
        guard maxBindings["T"] == 1 else {
            return "chained steps need a plan of one row per run (T = 1), this one is planned for T = \(maxBindings["T"].map(String.init) ?? "nothing")"
        }
        let inputs = graph.params.filter { $0.kind == .input }
        guard inputs.count == 1, inputs[0].name == input, inputs[0].type.dtype == .i32, one(inputs[0].type) else {
            return "chained steps need one input %\(input) of one i32; the graph's inputs are \(inputs.map { "%\($0.name) \($0.type)" })"
        }
        guard let out = outputValues[output], out.type.dtype == .i32, one(out.type) else {
            return "chained steps need an output %\(output) of one i32"
        }
        return nil
    }

    private func one(_ t: TensorType) -> Bool {
        t.resolve(maxBindings).flatMap { Shape.product($0) } == 1
    }

    /// Submits a chain of `steps` and waits for it. On GPUs the wait sleeps through half the
    /// time the chain should take (the host's time per step of the chains before it; half, so
    /// that a chain faster than the ones before it, at a shorter context, is not overslept) and
    /// polls the fence from there: a blocked wait wakes up well after a chain ends, which at
    /// 32 steps a chain cost about 1 % of decode on the H200. CPU drivers, whose threads need
    /// the cores, and SLUICE_CHAIN_WAIT=block keep the short poll before blocking
    /// (SLUICE_CHAIN_WAIT=poll takes the new wait there too).
    /// Returns the nanoseconds from the submission to the end of the wait.
    @discardableResult
    private func submitChain(_ cb: VkCommandBuffer, first: Int32, past: Int, input: String, steps: Int) throws -> Double {
        let step: [UInt32] = [1, UInt32(past), UInt32(maxBindings["C"] ?? 0), 0]
        try step.withUnsafeBytes { try stepBuffer.upload($0) }
        try [first].withUnsafeBytes { try buffers[.param(input)]!.upload($0) }
        let start = DispatchTime.now().uptimeNanoseconds
        try device.submit(cb, fence: fence)
        let expected = chainStepNanos * Double(steps)
        let mode = environmentValue("SLUICE_CHAIN_WAIT")
        if expected > 0, mode == "poll" || (mode != "block" && device.info.kind != .cpu) {
            try fence.wait(sleepNanos: UInt64(max(0, 0.5 * expected - 300_000)),
                           spinNanos: UInt64(min(expected + 1_000_000, 200_000_000)))
        } else {
            try fence.wait(spin: true)
        }
        let nanos = Double(DispatchTime.now().uptimeNanoseconds - start), per = nanos / Double(steps)
        chainStepNanos = chainStepNanos == 0 ? per : 0.5 * (chainStepNanos + per)
        return nanos
    }

    /// Where chained steps leave their ids for the host.
    func chainIDBuffer() throws -> GPUBuffer {
        if let b = chainIDs { return b }
        let b = try GPUBuffer(device: device, size: 4 * Self.maxChainSteps, use: .readback, label: "chained steps' ids")
        chainIDs = b
        return b
    }

    /// The command buffer of an `n`-step chain, recorded on first use.
    private func chainCommandBuffer(_ n: Int, input: String, output: String) throws -> VkCommandBuffer {
        if let cb = chains[n] { return cb }
        let cb = try device.allocateCommandBuffer()
        var begin = VkCommandBufferBeginInfo()
        begin.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO
        try check(vkBeginCommandBuffer(cb, &begin), "vkBeginCommandBuffer")
        let compute = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT.rawValue, transfer = VK_PIPELINE_STAGE_TRANSFER_BIT.rawValue
        if let tail = try chainTail(input: input, output: output) {
            recordWithTail(cb, steps: n, tail: tail)
        } else {
            recordChainSteps(cb, n, advance: try advanceDispatch(input: input, output: output), compute: compute, transfer: transfer)
        }
        memoryBarrier(cb, src: compute, dst: transfer | VK_PIPELINE_STAGE_HOST_BIT.rawValue, srcAccess: VK_ACCESS_SHADER_WRITE_BIT.rawValue,
                      dstAccess: VK_ACCESS_TRANSFER_READ_BIT.rawValue | VK_ACCESS_HOST_READ_BIT.rawValue)
        copyFailureFlags(cb)
        memoryBarrier(cb, src: transfer, dst: VK_PIPELINE_STAGE_HOST_BIT.rawValue,
                      srcAccess: VK_ACCESS_TRANSFER_WRITE_BIT.rawValue, dstAccess: VK_ACCESS_HOST_READ_BIT.rawValue)
        try check(vkEndCommandBuffer(cb), "vkEndCommandBuffer")
        chains[n] = cb
        return cb
    }

    /// The kernel between two plain chained steps, made on first use.
    private func advanceDispatch(input: String, output: String) throws -> StepDispatch {
        if let a = chainAdvance { return a }
        let ids = try chainIDBuffer()
        let pipeline = try library.pipeline("advance", bindings: 4, pushBytes: 4)
        let chosen = plan.locations[output]!, tokens = buffers[.param(input)]!
        let set = try descriptorSet(pipeline, [
            VkDescriptorBufferInfo(buffer: stepBuffer.handle, offset: 0, range: 16),
            VkDescriptorBufferInfo(buffer: buffers[chosen.root]!.handle, offset: VkDeviceSize(chosen.offset), range: 4),
            VkDescriptorBufferInfo(buffer: tokens.handle, offset: 0, range: 4),
            VkDescriptorBufferInfo(buffer: ids.handle, offset: 0, range: VkDeviceSize(ids.size)),
        ])
        let a = StepDispatch(pipeline: pipeline, set: set, push: [0], grid: (1, 1), barrier: true)
        chainAdvance = a
        return a
    }

    /// Chained steps with a barrier between every two dispatches, the advance kernel between
    /// steps.
    private func recordChainSteps(_ cb: VkCommandBuffer, _ n: Int, advance: StepDispatch, compute: UInt32, transfer: UInt32) {
        for i in 0..<n {
            if i > 0 {
                // The previous step (and its advance) before this one.
                memoryBarrier(cb, src: compute, dst: transfer | compute, srcAccess: VK_ACCESS_SHADER_WRITE_BIT.rawValue,
                              dstAccess: VK_ACCESS_TRANSFER_WRITE_BIT.rawValue | VK_ACCESS_SHADER_READ_BIT.rawValue | VK_ACCESS_SHADER_WRITE_BIT.rawValue)
            }
            recordStep(cb, clear: i == 0)
            computeBarrier(cb)
            var a = advance
            a.push = [UInt32(i)]
            dispatch(cb, a)
        }
    }
}
