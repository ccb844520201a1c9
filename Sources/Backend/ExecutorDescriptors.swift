import CVulkan

/// Descriptor sets of the recorded dispatches: storage-buffer bindings, and uniform texel
/// buffers (a view per binding) for the kernels that declare them (KernelBindings.swift).
extension VulkanExecutor {
    /// One pool with room for every call's set, by descriptor type.
    func makeDescriptorPool(_ calls: [PlannedCall]) throws {
        // Room for the chain's advance kernel (ExecutorChain.swift: one set, 4 buffers) and
        // a chain's fused tail (ExecutorChainTail.swift: one set, 12 buffers) too.
        var counts: [VkDescriptorType: Int] = [VK_DESCRIPTOR_TYPE_STORAGE_BUFFER: 4 + 12]
        for c in calls { for k in c.pipeline.kinds { counts[k.descriptorType, default: 0] += 1 } }
        var sizes = counts.map { VkDescriptorPoolSize(type: $0.key, descriptorCount: UInt32($0.value)) }
        var pinfo = VkDescriptorPoolCreateInfo()
        pinfo.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO
        pinfo.maxSets = UInt32(calls.count + 2)
        pinfo.poolSizeCount = UInt32(sizes.count)
        var pool: VkDescriptorPool?
        try sizes.withUnsafeMutableBufferPointer { sp in
            pinfo.pPoolSizes = UnsafePointer(sp.baseAddress)
            try check(vkCreateDescriptorPool(device.handle, &pinfo, nil, &pool), "vkCreateDescriptorPool")
        }
        descriptorPool = pool
    }

    /// Destroys the pool (and with it the sets) and the texel views.
    func releaseDescriptors() {
        if let p = descriptorPool { vkDestroyDescriptorPool(device.handle, p, nil) }
        descriptorPool = nil
        for v in bufferViews { vkDestroyBufferView(device.handle, v, nil) }
        bufferViews = []
    }

    func descriptorSet(_ pc: PlannedCall) throws -> VkDescriptorSet {
        var infos = [VkDescriptorBufferInfo(buffer: stepBuffer.handle, offset: 0, range: 16)]
        let limit = Int(min(device.info.maxStorageBufferRange, UInt64(Int.max)))
        for (i, name) in pc.call.buffers.enumerated() {
            let loc = plan.locations[name]!
            let buffer = buffers[loc.root]!
            let (off, size) = pc.call.windows[i].map { (loc.offset + $0.offset, $0.size) } ?? (loc.offset, loc.size)
            let kind = pc.pipeline.kinds[i + 1]
            // A texel view covers whole texels: round up where the buffer has the room.
            let unit = max(4, kind.texelBytes)
            var range = (size + unit - 1) / unit * unit
            if off + range > buffer.size { range = (buffer.size - off) / unit * unit }
            let what = "kernel \(pc.call.kernel) binds %\(name) with \(range) bytes"
            if case .texel = kind {
                let texels = UInt64(range / kind.texelBytes)
                guard texels <= device.info.maxTexelBufferElements else {
                    throw BackendError.unsupported("\(what) = \(texels) texels; \(device.info.name) allows \(device.info.maxTexelBufferElements) per texel buffer (maxTexelBufferElements)")
                }
                guard UInt64(off) % max(device.info.minTexelBufferOffsetAlignment, 1) == 0 else {
                    throw BackendError.unsupported("\(what) at offset \(off), not a multiple of \(device.info.name)'s minTexelBufferOffsetAlignment (\(device.info.minTexelBufferOffsetAlignment))")
                }
            } else {
                guard range <= limit else {
                    throw BackendError.unsupported("\(what); \(device.info.name) allows \(limit) per binding (maxStorageBufferRange) and this operator has no split")
                }
            }
            infos.append(VkDescriptorBufferInfo(buffer: buffer.handle, offset: VkDeviceSize(off), range: VkDeviceSize(range)))
        }
        return try descriptorSet(pc.pipeline, infos)
    }

    func descriptorSet(_ pipeline: Pipeline, _ infos: [VkDescriptorBufferInfo]) throws -> VkDescriptorSet {
        var layout: VkDescriptorSetLayout? = pipeline.setLayout
        var set: VkDescriptorSet?
        let r: VkResult = withUnsafePointer(to: &layout) { lp in
            var a = VkDescriptorSetAllocateInfo()
            a.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO
            a.descriptorPool = descriptorPool
            a.descriptorSetCount = 1
            a.pSetLayouts = lp
            return vkAllocateDescriptorSets(device.handle, &a, &set)
        }
        try check(r, "vkAllocateDescriptorSets")
        var views = [VkBufferView?](repeating: nil, count: infos.count)
        for (i, info) in infos.enumerated() {
            guard case .texel(let format) = pipeline.kinds[i] else { continue }
            var v = VkBufferViewCreateInfo()
            v.sType = VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO
            v.buffer = info.buffer
            v.format = format
            v.offset = info.offset
            v.range = info.range
            var view: VkBufferView?
            try check(vkCreateBufferView(device.handle, &v, nil, &view), "vkCreateBufferView")
            bufferViews.append(view!)
            views[i] = view
        }
        infos.withUnsafeBufferPointer { ip in
            views.withUnsafeBufferPointer { vp in
                var writes = (0..<infos.count).map { i -> VkWriteDescriptorSet in
                    var w = VkWriteDescriptorSet()
                    w.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET
                    w.dstSet = set
                    w.dstBinding = UInt32(i)
                    w.descriptorCount = 1
                    w.descriptorType = pipeline.kinds[i].descriptorType
                    if views[i] != nil { w.pTexelBufferView = vp.baseAddress! + i } else { w.pBufferInfo = ip.baseAddress! + i }
                    return w
                }
                vkUpdateDescriptorSets(device.handle, UInt32(writes.count), &writes, 0, nil)
            }
        }
        return set!
    }
}
