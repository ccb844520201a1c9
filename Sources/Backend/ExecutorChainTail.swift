import CVulkan
import Foundation
import SluiceGraph

/// A chained greedy step is the embedding, the persistent run, the LM head and the argmax,
/// and the plain chain adds the advance kernel: five dispatches, each behind a pipeline
/// barrier. Where the step has exactly that shape and the token embedding is tied to the LM
/// head (the same weights), the chain runs the head, the argmax and the next step's
/// embedding as one dispatch instead (Kernels/head_chain.comp), and no kernel advances the
/// position: step i of the chain runs at P + i (a push constant of the persistent kernel).
/// Two dispatches and two barriers a step. SLUICE_CHAIN_TAIL=0 records chains as before.
extension VulkanExecutor {
    /// The binding of the tail's partial results, after the head's own (head_chain.comp).
    private static let tailFirstExtra = 7

    /// The fused tail for a chain feeding `output` back into `input`, or nil when the step
    /// has another shape (the chain then runs as before).
    func chainTail(input: String, output: String) throws -> StepDispatch? {
        if environmentValue("SLUICE_CHAIN_TAIL") == "0" { return nil }
        if let t = chainTailDispatch { return t }
        guard let shape = tailShape(input: input, output: output) else { return nil }
        let head = shape.head
        let groups = head.call.kernel.hasPrefix("matmul_wide_")
            ? head.call.grid.x
            : UInt32(max(1, (shape.columns + 16 * shape.subgroups - 1) / (16 * shape.subgroups)))
        // The exit count (16 bytes with its padding), then a best value and index per workgroup.
        let partBytes = 16 + Int(groups) * 8
        if chainParts == nil || chainParts!.size < partBytes {
            chainParts = try GPUBuffer(device: device, size: partBytes, use: .deviceLocal, label: "chain tail's partial argmax")
            try chainParts!.zero()
        }
        let extra = Self.tailFirstExtra
        let pipeline = try library.pipeline("head_chain_\(shape.weight)_\(shape.norm)", bindings: extra + 5, pushBytes: 40)
        var infos = [VkDescriptorBufferInfo(buffer: stepBuffer.handle, offset: 0, range: 16)]
        infos += try head.call.buffers.map { try bufferInfo($0) }
        // Bindings the variant does not use (the prologue's operands it lacks).
        while infos.count < extra { infos.append(VkDescriptorBufferInfo(buffer: stepBuffer.handle, offset: 0, range: 16)) }
        infos += [VkDescriptorBufferInfo(buffer: chainParts!.handle, offset: 0, range: VkDeviceSize(partBytes)),
                  try bufferInfo(output), try bufferInfo(input),
                  VkDescriptorBufferInfo(buffer: try chainIDBuffer().handle, offset: 0, range: VkDeviceSize(Self.maxChainSteps * 4)),
                  try bufferInfo(shape.embedded)]
        let push = head.call.push + [0, UInt32(shape.rowSize), UInt32(shape.columns)]
        let t = StepDispatch(pipeline: pipeline, set: try descriptorSet(pipeline, infos), push: push, grid: (groups, 1), barrier: true)
        chainTailDispatch = t
        return t
    }

    /// The step's calls when it is embedding → one persistent run → a one-row LM
    /// head over the embedding's own table → argmax (split or not) into `output`.
    private func tailShape(input: String, output: String)
        -> (head: PlannedCall, weight: String, norm: String, rowSize: Int, columns: Int, subgroups: Int, embedded: String)? {
        guard usesPersistentKernel, stepDispatches.count == 4, stepCallRanges.count == 4, syncBuffers.count == 1,
              device.info.subgroupArithmetic,
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

    /// Records `n` steps with the fused tail: the first step's embedding, then per step the
    /// persistent run (at its chain step) and the tail, each behind a barrier.
    /// With SLUICE_CHAIN_STAMPS=1 (diagnostics), a timestamp after the first embedding and
    /// after every dispatch (chainStampReport prints them).
    func recordWithTail(_ cb: VkCommandBuffer, steps n: Int, tail: StepDispatch) {
        let stamps = environmentValue("SLUICE_CHAIN_STAMPS") == "1"
            ? try? Profiler(device: device, count: 2 * n) : nil
        chainStamps[n] = stamps
        stamps?.reset(cb)
        recordStep(cb, clear: true, only: 0..<1)
        stamps?.stamp(cb, 0)
        for i in 0..<n {
            var run = stepDispatches[1]
            run.push[6] = UInt32(i)
            computeBarrier(cb)
            dispatch(cb, run)
            stamps?.stamp(cb, 2 * i + 1)
            var t = tail
            t.push[7] = UInt32(i)
            computeBarrier(cb)
            dispatch(cb, t)
            stamps?.stamp(cb, 2 * i + 2)
        }
    }

    /// After an `n`-step chain ran with SLUICE_CHAIN_STAMPS=1: on stderr, its GPU time from the
    /// first embedding on, the mean persistent run and tail per step (each with the barrier
    /// and launch before it), and the host's time for the whole submission.
    func chainStampReport(steps n: Int, wallMicros: Double) {
        guard let s = chainStamps[n] else { return }
        s.ops = (0..<n).flatMap { _ in ["run", "tail"] }
        s.collect()
        let t = Dictionary(uniqueKeysWithValues: s.table().map { ($0.op, $0.milliseconds) })
        let run = (t["run"] ?? 0) * 1000, tail = (t["tail"] ?? 0) * 1000
        FileHandle.standardError.write(Data(String(format: "chain of %d: GPU %.1f µs, per step run %.2f µs + tail %.2f µs; host %.1f µs\n",
                                                  n, run + tail, run / Double(n), tail / Double(n), wallMicros).utf8))
        s.clearTotals()
    }
}
