import CVulkan
import Foundation

/// Overlapping chained steps. A chained greedy step is the embedding, the persistent run,
/// the LM head and the argmax, and every pipeline barrier between them drains the GPU and
/// launches the next dispatch cold. Where the step has exactly that shape and the token
/// embedding is tied to the LM head (the same weights), the chain records the head, the
/// argmax and the next step's embedding as one dispatch (Kernels/head_chain.comp) and no
/// barriers between a step's persistent run and that tail or between the tail and the next
/// step's run: counters in the run's sync buffer order them instead (the tail waits for its
/// run to finish; the next run waits for the tail). So the tail's workgroups start, and pull
/// the head's weights into the caches, while the run's last stages still go on, and the
/// next run starts while the tail finishes. The host does not advance the position between
/// such steps: step i runs at P + i (a push constant of the persistent kernel).
/// SLUICE_CHAIN_OVERLAP (A/B runs): 0 records chains as before; fused keeps the tail but with
/// pipeline barriers on both sides of it; head drops only the barrier before the tail, next
/// only the one after it. SLUICE_CHAIN_PULL=0: the tail does not pull the weights early.
extension VulkanExecutor {
    /// The binding of the persistent kernel's sync buffer and the others that follow the
    /// head's own in head_chain.comp.
    private static let tailFirstExtra = 7

    /// The fused tail for a chain feeding `output` back into `input`, or nil when the step
    /// has another shape (the chain then runs as before).
    func chainTail(input: String, output: String) throws -> StepDispatch? {
        let mode = ProcessInfo.processInfo.environment["SLUICE_CHAIN_OVERLAP"]
        if mode == "0" { return nil }
        if let t = chainTailDispatch { return t }
        guard let shape = tailShape(input: input, output: output) else { return nil }
        let head = shape.head
        let groups = head.call.kernel.hasPrefix("matmul_wide_")
            ? head.call.grid.x
            : UInt32(max(1, (shape.columns + 16 * shape.subgroups - 1) / (16 * shape.subgroups)))
        if chainParts == nil || chainParts!.size < Int(groups) * 8 {
            chainParts = try GPUBuffer(device: device, size: Int(groups) * 8, use: .deviceLocal, label: "chain tail's partial argmax")
        }
        let extra = Self.tailFirstExtra
        let pipeline = try library.pipeline("head_chain_\(shape.weight)_\(shape.norm)", bindings: extra + 6, pushBytes: 48)
        var infos = [VkDescriptorBufferInfo(buffer: stepBuffer.handle, offset: 0, range: 16)]
        infos += try head.call.buffers.map { try bufferInfo($0) }
        // Bindings the variant does not use (the prologue's operands it lacks).
        while infos.count < extra { infos.append(VkDescriptorBufferInfo(buffer: stepBuffer.handle, offset: 0, range: 16)) }
        infos += [VkDescriptorBufferInfo(buffer: syncBuffers[0].handle, offset: 0, range: 32),
                  VkDescriptorBufferInfo(buffer: chainParts!.handle, offset: 0, range: VkDeviceSize(Int(groups) * 8)),
                  try bufferInfo(output), try bufferInfo(input),
                  VkDescriptorBufferInfo(buffer: try chainIDBuffer().handle, offset: 0, range: VkDeviceSize(Self.maxChainSteps * 4)),
                  try bufferInfo(shape.embedded)]
        let flags: UInt32 = ProcessInfo.processInfo.environment["SLUICE_CHAIN_PULL"] == "0" ? 0 : 1
        let push = head.call.push + [0, persistent.spinLimit, flags, UInt32(shape.rowSize), UInt32(shape.columns)]
        let t = StepDispatch(pipeline: pipeline, set: try descriptorSet(pipeline, infos), push: push, grid: (groups, 1), barrier: false)
        chainTailDispatch = t
        return t
    }

    /// The step's calls when it is embedding → one persistent run (dataflow) → a one-row LM
    /// head over the embedding's own table → argmax (split or not) into `output`.
    private func tailShape(input: String, output: String)
        -> (head: PlannedCall, weight: String, norm: String, rowSize: Int, columns: Int, subgroups: Int, embedded: String)? {
        guard usesPersistentKernel, stepDispatches.count == 4, stepCallRanges.count == 4, syncBuffers.count == 1,
              stageFlows.count == 1, stageFlows[0] != nil, device.info.subgroupArithmetic,
              stepCallRanges[0].count == 1, stepCallRanges[1].count > 1, stepCallRanges[2].count == 1, stepCallRanges[3].count == 1
        else { return nil }
        let emb = plannedCalls[stepCallRanges[0].lowerBound].call, head = plannedCalls[stepCallRanges[2].lowerBound]
        let arg = plannedCalls[stepCallRanges[3].lowerBound].call
        guard emb.kernel.hasPrefix("embedding_"), emb.windows.isEmpty, emb.buffers.count == 3, emb.buffers[1] == input,
              (arg.kernel == "argmax_split" && arg.buffers.count == 4 && arg.buffers[2] == output)
                || (arg.kernel == "argmax" && arg.buffers.count == 2 && arg.buffers[1] == output),
              head.call.windows.isEmpty, head.call.push.count == 7
        else { return nil }
        // matmul_wide_<weight>_<norm>, or a matrix kernel with a stage form of kind 0.
        var weight: String, norm: String
        if head.call.kernel.hasPrefix("matmul_wide_") {
            let rest = head.call.kernel.dropFirst("matmul_wide_".count)
            guard let n = ["_addrms", "_rms", "_none"].first(where: { rest.hasSuffix($0) }) else { return nil }
            weight = String(rest.dropLast(n.count)); norm = String(n.dropFirst())
        } else {
            guard let k = Persistent.stageKind(head.call.kernel), k.kind == 0, let w = k.weight else { return nil }
            weight = w; norm = ["none", "rms", "addrms"][Int(k.norm)]
        }
        let prefix = Persistent.prologueOperands(norm == "addrms" ? 2 : (norm == "rms" ? 1 : 0))
        let b = head.call.buffers, p = head.call.push
        let k = Int(p[2]), n = Int(p[3]), rows = p[0] == 1 && p[1] == 0
        // Tied: the head's weight is the table; its product is one full row of logits that the
        // argmax reads; K fits the staged row (wide_product.glsl).
        guard b.count == prefix + 2 + (norm == "addrms" ? 1 : 0), b[prefix] == emb.buffers[0], b[prefix + 1] == arg.buffers[0],
              rows, p[5] == p[3], p[6] == 0, k % 32 == 0, k <= 4096, emb.push.count == 5, Int(emb.push[2]) == k, Int(emb.push[3]) == n,
              emb.push[4] == 0, SPIRV.all["head_chain_\(weight)_\(norm)"] != nil
        else { return nil }
        return (head, weight, norm, k, n, max(1, 256 / max(device.info.subgroupSize, 1)), emb.buffers[2])
    }

    private func bufferInfo(_ name: String) throws -> VkDescriptorBufferInfo {
        guard let loc = plan.locations[name], let buffer = buffers[loc.root] else {
            throw BackendError.run("the chain's tail binds %\(name), which has no buffer")
        }
        let range = min((loc.size + 3) / 4 * 4, buffer.size - loc.offset)
        return VkDescriptorBufferInfo(buffer: buffer.handle, offset: VkDeviceSize(loc.offset), range: VkDeviceSize(range))
    }

    /// Records `n` overlapping steps: the first step's embedding, then per step the
    /// persistent run (flag 64, its chain step) and the tail, with no barriers between them.
    func recordOverlapped(_ cb: VkCommandBuffer, steps n: Int, tail: StepDispatch) {
        // The heads' done count and exit count start at zero (recordStep's fill and barrier
        // cover the run's own words).
        vkCmdFillBuffer(cb, syncBuffers[0].handle, 24, 8, 0)
        recordStep(cb, clear: true, only: 0..<1)
        computeBarrier(cb)
        let mode = ProcessInfo.processInfo.environment["SLUICE_CHAIN_OVERLAP"] ?? ""
        let before = mode == "fused" || mode == "next", after = mode == "fused" || mode == "head"
        for i in 0..<n {
            if i > 0 && after { computeBarrier(cb) }
            var run = stepDispatches[1]
            run.push[3] |= 64
            run.push[6] = UInt32(i)
            dispatch(cb, run)
            if before { computeBarrier(cb) }
            var t = tail
            t.push[7] = UInt32(i)
            dispatch(cb, t)
        }
    }
}
