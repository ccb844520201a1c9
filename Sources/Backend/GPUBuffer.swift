import CVulkan

/// A storage buffer with its own memory. Host-visible buffers stay mapped.
public final class GPUBuffer: @unchecked Sendable {
    public enum Use {
        /// Only the GPU touches it.
        case deviceLocal
        /// The host writes, the GPU reads: device-local and host-visible where the device has it.
        case hostVisible
        /// The GPU writes, the host reads: host-cached memory (reads over PCIe from
        /// device-local memory are slow).
        case readback
    }
    let device: VulkanDevice
    let handle: VkBuffer
    let memory: VkDeviceMemory
    public let size: Int
    let mapped: UnsafeMutableRawPointer?
    let label: String

    init(device: VulkanDevice, size requested: Int, use: Use, label: String) throws {
        self.device = device
        self.label = label
        size = max(requested, 16)
        var info = VkBufferCreateInfo()
        info.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO
        info.size = VkDeviceSize(size)
        info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT.rawValue | VK_BUFFER_USAGE_TRANSFER_SRC_BIT.rawValue | VK_BUFFER_USAGE_TRANSFER_DST_BIT.rawValue
            | VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT.rawValue   // texel views (KernelBindings.swift)
        let addressed = device.info.bufferDeviceAddress
        if addressed { info.usage |= VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT.rawValue }
        info.sharingMode = VK_SHARING_MODE_EXCLUSIVE
        var b: VkBuffer?
        try check(vkCreateBuffer(device.handle, &info, nil, &b), "vkCreateBuffer(\(label), \(size) bytes)")
        handle = b!
        var req = VkMemoryRequirements()
        vkGetBufferMemoryRequirements(device.handle, handle, &req)
        let local = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT.rawValue
        let host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT.rawValue | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT.rawValue
        let type: UInt32?
        switch use {
        case .deviceLocal: type = device.memoryType(bits: req.memoryTypeBits, required: local) ?? device.memoryType(bits: req.memoryTypeBits, required: 0)
        case .hostVisible: type = device.memoryType(bits: req.memoryTypeBits, required: host, preferred: local)
        case .readback:
            let cached = VK_MEMORY_PROPERTY_HOST_CACHED_BIT.rawValue
            type = device.memoryType(bits: req.memoryTypeBits, required: host | cached)
                ?? device.memoryType(bits: req.memoryTypeBits, required: host)
        }
        guard let t = type else {
            vkDestroyBuffer(device.handle, handle, nil)
            throw BackendError.unsupported("no memory type for \(label) (\(use)) on \(device.info.name)")
        }
        var alloc = VkMemoryAllocateInfo()
        alloc.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO
        alloc.allocationSize = req.size
        alloc.memoryTypeIndex = t
        var allocFlags = VkMemoryAllocateFlagsInfo()
        allocFlags.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO
        allocFlags.flags = VK_MEMORY_ALLOCATE_DEVICE_ADDRESS_BIT.rawValue
        var m: VkDeviceMemory?
        let r: VkResult = withUnsafePointer(to: &allocFlags) { fp in
            alloc.pNext = addressed ? UnsafeRawPointer(fp) : nil
            return vkAllocateMemory(device.handle, &alloc, nil, &m)
        }
        guard r == VK_SUCCESS else {
            vkDestroyBuffer(device.handle, handle, nil)
            let gib = Double(device.info.deviceLocalBytes) / 1_073_741_824
            throw BackendError.outOfMemory("\(label) needs \(req.size) bytes; \(device.info.name) has \(String(format: "%.1f", gib)) GiB device-local memory in all (\(resultName(r)))")
        }
        memory = m!
        try check(vkBindBufferMemory(device.handle, handle, memory, 0), "vkBindBufferMemory(\(label))")
        let flags = device.memoryTypes[Int(t)].propertyFlags
        if flags & host == host {
            var p: UnsafeMutableRawPointer?
            try check(vkMapMemory(device.handle, memory, 0, VkDeviceSize(VK_WHOLE_SIZE), 0, &p), "vkMapMemory(\(label))")
            mapped = p
        } else {
            mapped = nil
        }
    }

    /// The buffer's address for kernels that read through pointers (0 where the device has
    /// no buffer device addresses).
    lazy var address: UInt64 = {
        guard device.info.bufferDeviceAddress else { return 0 }
        var info = VkBufferDeviceAddressInfo()
        info.sType = VK_STRUCTURE_TYPE_BUFFER_DEVICE_ADDRESS_INFO
        info.buffer = handle
        return vkGetBufferDeviceAddress(device.handle, &info)
    }()

    deinit {
        if mapped != nil { vkUnmapMemory(device.handle, memory) }
        vkDestroyBuffer(device.handle, handle, nil)
        vkFreeMemory(device.handle, memory, nil)
    }

    /// Copies `bytes` into the buffer at `offset`: directly when mapped, else through a
    /// host-visible staging buffer in chunks.
    func upload(_ bytes: UnsafeRawBufferPointer, at offset: Int = 0) throws {
        precondition(offset + bytes.count <= size, "upload past the end of \(label)")
        guard bytes.count > 0 else { return }
        if let m = mapped {
            (m + offset).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            return
        }
        let chunk = min(bytes.count, 64 << 20)
        let staging = try GPUBuffer(device: device, size: chunk, use: .hostVisible, label: "staging")
        var done = 0
        while done < bytes.count {
            let n = min(chunk, bytes.count - done)
            staging.mapped!.copyMemory(from: bytes.baseAddress! + done, byteCount: n)
            try device.submitOnce { cb in
                var region = VkBufferCopy(srcOffset: 0, dstOffset: VkDeviceSize(offset + done), size: VkDeviceSize(n))
                vkCmdCopyBuffer(cb, staging.handle, handle, 1, &region)
            }
            done += n
        }
    }

    /// Reads `count` bytes at `offset` back to the host.
    func download(offset: Int, count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        guard count > 0 else { return out }
        if let m = mapped {
            out.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: m + offset, byteCount: count) }
            return out
        }
        let staging = try GPUBuffer(device: device, size: count, use: .readback, label: "readback")
        try device.submitOnce { cb in
            var region = VkBufferCopy(srcOffset: VkDeviceSize(offset), dstOffset: 0, size: VkDeviceSize(count))
            vkCmdCopyBuffer(cb, handle, staging.handle, 1, &region)
        }
        out.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: staging.mapped!, byteCount: count) }
        return out
    }

    /// Sets every byte to zero.
    func zero() throws {
        try device.submitOnce { cb in vkCmdFillBuffer(cb, handle, 0, VkDeviceSize(VK_WHOLE_SIZE), 0) }
    }
}
