import CVulkan

/// GPU timestamps around every dispatch, summed per operator.
final class Profiler {
    let device: VulkanDevice
    let pool: VkQueryPool
    let count: Int
    var ops: [String] = []
    /// Per dispatch, a finer key (the kernel variant and its matrix shape) for `detailTable`.
    var details: [String] = []
    private var totals: [String: (n: Int, ns: Double)] = [:]
    private var detailTotals: [String: (n: Int, ns: Double)] = [:]

    init(device: VulkanDevice, count: Int) throws {
        guard device.timestampsValid, device.info.timestampPeriodNs > 0 else {
            throw BackendError.unsupported("\(device.info.name)'s compute queue has no timestamps; --profile needs them")
        }
        self.device = device
        self.count = count + 1
        var info = VkQueryPoolCreateInfo()
        info.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO
        info.queryType = VK_QUERY_TYPE_TIMESTAMP
        info.queryCount = UInt32(self.count)
        var p: VkQueryPool?
        try check(vkCreateQueryPool(device.handle, &info, nil, &p), "vkCreateQueryPool")
        pool = p!
    }

    deinit { vkDestroyQueryPool(device.handle, pool, nil) }

    func reset(_ cb: VkCommandBuffer) { vkCmdResetQueryPool(cb, pool, 0, UInt32(count)) }

    func stamp(_ cb: VkCommandBuffer, _ i: Int) {
        vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, pool, UInt32(i))
    }

    func collect() {
        var stamps = [UInt64](repeating: 0, count: count)
        let r = stamps.withUnsafeMutableBytes {
            vkGetQueryPoolResults(device.handle, pool, 0, UInt32(count), $0.count, $0.baseAddress, 8,
                                  VK_QUERY_RESULT_64_BIT.rawValue | VK_QUERY_RESULT_WAIT_BIT.rawValue)
        }
        guard r == VK_SUCCESS else { return }
        let period = Double(device.info.timestampPeriodNs)
        // Timestamps with fewer than 64 valid bits wrap: differences modulo 2^bits (one in
        // the upper half of that range is a stamp before its predecessor: counted as 0).
        let mask: UInt64 = device.timestampBits >= 64 ? .max : (1 << UInt64(device.timestampBits)) - 1
        for (i, op) in ops.enumerated() {
            let d = (stamps[i + 1] &- stamps[i]) & mask
            let dt = d > mask >> 1 ? 0 : Double(d) * period
            let t = totals[op] ?? (0, 0)
            totals[op] = (t.n + 1, t.ns + dt)
            if i < details.count {
                let d = detailTotals[details[i]] ?? (0, 0)
                detailTotals[details[i]] = (d.n + 1, d.ns + dt)
            }
        }
    }

    func clearTotals() { totals = [:]; detailTotals = [:] }

    func table() -> [(op: String, dispatches: Int, milliseconds: Double)] {
        totals.map { ($0.key, $0.value.n, $0.value.ns / 1e6) }.sorted { $0.milliseconds > $1.milliseconds }
    }

    func detailTable() -> [(op: String, dispatches: Int, milliseconds: Double)] {
        detailTotals.map { ($0.key, $0.value.n, $0.value.ns / 1e6) }.sorted { $0.milliseconds > $1.milliseconds }
    }
}
