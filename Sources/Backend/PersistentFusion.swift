/// Stages of the persistent kernel that take over the call after them.
///
/// Split attention followed by its output projection (a plain one-output matrix product of
/// the attention output) and a matrix stage whose add + rms prologue adds that projection to
/// the residual: the attention stage's workgroup that writes a head's output multiplies it
/// by the head's columns of the projection (`outputPartial` in Kernels/persistent.glsl) and
/// writes a per-head partial product, and the consumer's prologue adds the residual and the
/// partials (norm mode 3). The projection's stage, and the grid barrier before it, go away:
/// one stage and one barrier fewer per decoder layer. SLUICE_PERSISTENT_OFF=ofuse keeps the
/// projection as its own stage.
extension Persistent {
    struct OutputFusion {
        /// Indices into the planned calls.
        var attention: Int, projection: Int, consumer: Int
        /// Heads (the partials' count) and floats per head's partial (the projection
        /// output's size in the plan).
        var heads: Int, stride: Int
        /// The consumer's operand that is the residual (0 or 1; the other is the projection).
        var residual: Int
        /// Names of the projection's weight and output.
        var weight: String, output: String
    }

    /// The fusions within `range` of the planned calls. `size` gives a value's bytes in the
    /// plan; values in `keep` (the graph's outputs) are never left unwritten.
    static func outputFusions(_ calls: [VulkanExecutor.PlannedCall], in range: Range<Int>, keep: Set<String>,
                              size: (String) -> Int) -> [OutputFusion] {
        guard !offList.contains("ofuse") else { return [] }
        var out: [OutputFusion] = []
        var i = range.lowerBound
        while i + 2 < range.upperBound {
            if let f = outputFusion(calls, at: i, keep: keep, size: size) {
                out.append(f)
                i += 3
            } else {
                i += 1
            }
        }
        return out
    }

    private static func outputFusion(_ calls: [VulkanExecutor.PlannedCall], at i: Int, keep: Set<String>,
                                     size: (String) -> Int) -> OutputFusion? {
        let a = calls[i].call, o = calls[i + 1].call, c = calls[i + 2].call
        guard stageKind(a.kernel)?.kind == 4, a.push.count <= 8, a.buffers.count == 6,
              let ok = stageKind(o.kernel), ok.kind == 0, ok.norm == 0, o.buffers.count == 3, o.push.count == 7,
              let ck = stageKind(c.kernel), ck.kind <= 2, ck.norm == 2, c.push.count <= 12, calls[i + 2].barrier
        else { return nil }
        let heads = Int(a.push[2]), d = Int(a.push[4]), y = a.buffers[4], projected = o.buffers[2]
        let n = Int(o.push[3])
        // The projection reads the whole attention output, writes its whole output from
        // column 0, and the consumer has the same rows and reads a row of that output.
        guard d % 32 == 0, d <= 256, o.buffers[0] == y, Int(o.push[2]) == heads * d, o.push[5] == o.push[3], o.push[6] == 0,
              o.push[0..<2] == a.push[0..<2], c.push[0..<2] == a.push[0..<2], Int(c.push[2]) == n
        else { return nil }
        let residual: Int
        if c.buffers[1] == projected, c.buffers[0] != projected { residual = 0 }
        else if c.buffers[0] == projected, c.buffers[1] != projected { residual = 1 }
        else { return nil }
        // Nothing else may read the attention output or the projection.
        for (j, pc) in calls.enumerated() where j < i || j > i + 2 {
            if pc.call.buffers.contains(y) || pc.call.buffers.contains(projected) { return nil }
        }
        guard !keep.contains(y), !keep.contains(projected), c.buffers.filter({ $0 == projected }).count == 1 else { return nil }
        return OutputFusion(attention: i, projection: i + 1, consumer: i + 2, heads: heads, stride: size(projected) / 4,
                            residual: residual, weight: o.buffers[1], output: projected)
    }

    /// Patches the stage words of a fusion: the attention stage gets the projection (push 8-11,
    /// slots 6-7), the consumer the partials (norm mode 3, push 12-13, slots 0-1).
    static func applyFusion(_ f: OutputFusion, attention: inout [UInt32], consumer: inout [UInt32],
                            projection: VulkanExecutor.PlannedCall, address: (String) -> UInt64, partials: UInt64) {
        func setSlot(_ w: inout [UInt32], _ s: Int, _ a: UInt64) {
            w[20 + 2 * s] = UInt32(truncatingIfNeeded: a)
            w[21 + 2 * s] = UInt32(truncatingIfNeeded: a >> 32)
        }
        let o = projection.call
        attention[4 + 8] = o.push[3]
        attention[4 + 9] = o.push[2]
        attention[4 + 10] = UInt32(f.stride)
        attention[4 + 11] = 1
        setSlot(&attention, 6, address(f.weight))
        setSlot(&attention, 7, partials)
        let residual = consumer[20 + 2 * f.residual], residualHigh = consumer[21 + 2 * f.residual]
        consumer[20] = residual
        consumer[21] = residualHigh
        setSlot(&consumer, 1, partials)
        consumer[1] = 3
        consumer[4 + 12] = UInt32(f.heads)
        consumer[4 + 13] = UInt32(f.stride)
    }
}
