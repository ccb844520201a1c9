import CVulkan
import Foundation

/// A logical device with one compute queue, a command pool and its memory types.
public final class VulkanDevice: @unchecked Sendable {
    public let instance: VulkanInstance
    public let physical: VkPhysicalDevice
    public let info: DeviceInfo
    public let handle: VkDevice
    public let queue: VkQueue
    public let queueFamily: UInt32
    let commandPool: VkCommandPool
    let memoryTypes: [VkMemoryType]
    /// Bits of the compute queue's timestamps that count (0: no timestamps); they wrap above.
    let timestampBits: UInt32
    var timestampsValid: Bool { timestampBits > 0 }
    /// Pipelines are created with the driver's statistics (SLUICE_PIPELINE_STATS).
    let capturesStatistics: Bool

    /// Opens the device chosen by `selector` (an index or a name substring; nil picks
    /// discrete, then integrated, then CPU).
    public convenience init(selector: String? = nil, validation: Bool? = nil) throws {
        let instance = try VulkanInstance(validation: validation)
        let pds = try instance.physicalDevices()
        let infos = pds.enumerated().map { DeviceInfo.read($1, index: $0, instance: instance.handle) }
        let chosen = try chooseDevice(infos, selector: selector)
        try self.init(instance: instance, physical: pds[chosen.index], info: chosen)
    }

    /// Every device Vulkan sees, for `sluice devices`.
    public static func list() throws -> [DeviceInfo] {
        let instance = try VulkanInstance(validation: false)
        return try instance.physicalDevices().enumerated().map { DeviceInfo.read($1, index: $0, instance: instance.handle) }
    }

    init(instance: VulkanInstance, physical: VkPhysicalDevice, info: DeviceInfo) throws {
        self.instance = instance
        self.physical = physical
        self.info = info
        var count: UInt32 = 0
        vkGetPhysicalDeviceQueueFamilyProperties(physical, &count, nil)
        var families = [VkQueueFamilyProperties](repeating: .init(), count: Int(count))
        vkGetPhysicalDeviceQueueFamilyProperties(physical, &count, &families)
        let compute = VK_QUEUE_COMPUTE_BIT.rawValue, graphics = VK_QUEUE_GRAPHICS_BIT.rawValue
        // A compute-only family first (it may run beside graphics work), then any with compute.
        guard let family = families.indices.first(where: { families[$0].queueFlags & compute != 0 && families[$0].queueFlags & graphics == 0 })
                ?? families.indices.first(where: { families[$0].queueFlags & compute != 0 }) else {
            throw BackendError.unsupported("\(info.name) has no queue family with compute")
        }
        queueFamily = UInt32(family)
        timestampBits = families[family].timestampValidBits
        var priority: Float = 1
        var device: VkDevice?
        let r: VkResult = withUnsafePointer(to: &priority) { pp in
            var q = VkDeviceQueueCreateInfo()
            q.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO
            q.queueFamilyIndex = UInt32(family)
            q.queueCount = 1
            q.pQueuePriorities = pp
            // Vulkan 1.2 features where used: buffer device addresses (the persistent
            // kernel); float16, the Vulkan memory model and VK_KHR_cooperative_matrix (the
            // matrix-core kernels).
            // 16-bit storage buffers: float16 K/V caches.
            var v11 = VkPhysicalDeviceVulkan11Features()
            v11.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES
            v11.storageBuffer16BitAccess = VkBool32(info.storage16 ? VK_TRUE : VK_FALSE)
            var v12 = VkPhysicalDeviceVulkan12Features()
            v12.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES
            v12.bufferDeviceAddress = VkBool32(info.bufferDeviceAddress ? VK_TRUE : VK_FALSE)
            v12.shaderFloat16 = VkBool32(info.coopMatF16 ? VK_TRUE : VK_FALSE)
            v12.vulkanMemoryModel = VkBool32(info.coopMatF16 ? VK_TRUE : VK_FALSE)
            // 64-bit atomics: the persistent kernel's tagged values.
            v12.shaderBufferInt64Atomics = VkBool32(info.int64Atomics ? VK_TRUE : VK_FALSE)
            var core = VkPhysicalDeviceFeatures()
            core.shaderInt64 = VkBool32(info.int64Atomics ? VK_TRUE : VK_FALSE)
            var cm = SluiceCoopMatFeatures()
            cm.sType = VkStructureType(rawValue: 1000506000)
            cm.cooperativeMatrix = VkBool32(VK_TRUE)
            // The device clock: the persistent kernel's timestamps under --profile.
            var clock = VkPhysicalDeviceShaderClockFeaturesKHR()
            clock.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_CLOCK_FEATURES_KHR
            clock.shaderDeviceClock = VkBool32(VK_TRUE)
            // The driver's pipeline statistics, when asked for (PipelineStats.swift).
            var exec = VkPhysicalDevicePipelineExecutablePropertiesFeaturesKHR()
            exec.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PIPELINE_EXECUTABLE_PROPERTIES_FEATURES_KHR
            exec.pipelineExecutableInfo = VkBool32(VK_TRUE)
            let stats = PipelineStats.wanted(info)
            let extensions = (info.coopMatF16 ? ["VK_KHR_cooperative_matrix"] : []) + (info.shaderDeviceClock ? ["VK_KHR_shader_clock"] : [])
                + (stats ? [PipelineStats.extensionName] : [])
            return withUnsafePointer(to: &q) { qp in
                withUnsafeMutablePointer(to: &cm) { cp in
                    if info.coopMatF16 { v12.pNext = UnsafeMutableRawPointer(cp) }
                    return withUnsafeMutablePointer(to: &v12) { vp in
                        v11.pNext = UnsafeMutableRawPointer(vp)
                        return withUnsafeMutablePointer(to: &v11) { v1p in withUnsafeMutablePointer(to: &clock) { clp in withCStrings(extensions) { names in
                            var d = VkDeviceCreateInfo()
                            d.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO
                            // The 1.1/1.2 feature structs exist on Vulkan 1.2 devices (where
                            // these features are read).
                            let versioned = info.bufferDeviceAddress || info.coopMatF16 || info.storage16
                            d.pNext = versioned ? UnsafeRawPointer(v1p) : nil
                            if info.shaderDeviceClock {
                                clp.pointee.pNext = versioned ? UnsafeMutableRawPointer(v1p) : nil
                                d.pNext = UnsafeRawPointer(clp)
                            }
                            d.queueCreateInfoCount = 1
                            d.pQueueCreateInfos = qp
                            d.pEnabledFeatures = withUnsafePointer(to: &core) { $0 }
                            d.enabledExtensionCount = UInt32(extensions.count)
                            d.ppEnabledExtensionNames = names
                            return withUnsafeMutablePointer(to: &exec) { ep in
                                if stats {
                                    ep.pointee.pNext = UnsafeMutableRawPointer(mutating: d.pNext)
                                    d.pNext = UnsafeRawPointer(ep)
                                }
                                return vkCreateDevice(physical, &d, nil, &device)
                            }
                        } } }
                    }
                }
            }
        }
        try check(r, "vkCreateDevice on \(info.name)")
        handle = device!
        capturesStatistics = PipelineStats.wanted(info)
        var q: VkQueue?
        vkGetDeviceQueue(handle, UInt32(family), 0, &q)
        queue = q!
        var pool = VkCommandPoolCreateInfo()
        pool.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO
        pool.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT.rawValue
        pool.queueFamilyIndex = UInt32(family)
        var p: VkCommandPool?
        try check(vkCreateCommandPool(handle, &pool, nil, &p), "vkCreateCommandPool")
        commandPool = p!
        var mem = VkPhysicalDeviceMemoryProperties()
        vkGetPhysicalDeviceMemoryProperties(physical, &mem)
        memoryTypes = withUnsafeBytes(of: mem.memoryTypes) { Array($0.bindMemory(to: VkMemoryType.self).prefix(Int(mem.memoryTypeCount))) }
    }

    deinit {
        vkDeviceWaitIdle(handle)
        vkDestroyCommandPool(handle, commandPool, nil)
        vkDestroyDevice(handle, nil)
    }

    /// A memory type allowed by `bits` having all of `required`, preferring also `preferred`.
    func memoryType(bits: UInt32, required: UInt32, preferred: UInt32 = 0) -> UInt32? {
        let ok = memoryTypes.indices.filter { bits & (1 << $0) != 0 && memoryTypes[$0].propertyFlags & required == required }
        return (ok.first { memoryTypes[$0].propertyFlags & preferred == preferred } ?? ok.first).map(UInt32.init)
    }

    /// A one-time command buffer, submitted and waited for.
    func submitOnce(_ record: (VkCommandBuffer) throws -> Void) throws {
        let cb = try allocateCommandBuffer()
        defer { var c: VkCommandBuffer? = cb; vkFreeCommandBuffers(handle, commandPool, 1, &c) }
        var begin = VkCommandBufferBeginInfo()
        begin.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO
        begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT.rawValue
        try check(vkBeginCommandBuffer(cb, &begin), "vkBeginCommandBuffer")
        try record(cb)
        try check(vkEndCommandBuffer(cb), "vkEndCommandBuffer")
        let fence = try Fence(device: self)
        try submit(cb, fence: fence)
        try fence.wait(spin: false)
    }

    func allocateCommandBuffer() throws -> VkCommandBuffer {
        var info = VkCommandBufferAllocateInfo()
        info.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO
        info.commandPool = commandPool
        info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY
        info.commandBufferCount = 1
        var cb: VkCommandBuffer?
        try check(vkAllocateCommandBuffers(handle, &info, &cb), "vkAllocateCommandBuffers")
        return cb!
    }

    func submit(_ cb: VkCommandBuffer, fence: Fence) throws {
        var c: VkCommandBuffer? = cb
        let r: VkResult = withUnsafePointer(to: &c) { cp in
            var s = VkSubmitInfo()
            s.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO
            s.commandBufferCount = 1
            s.pCommandBuffers = cp
            return vkQueueSubmit(queue, 1, &s, fence.handle)
        }
        try check(r, "vkQueueSubmit")
    }
}

/// A fence; `wait` can spin briefly on the status before blocking.
final class Fence {
    let device: VulkanDevice
    let handle: VkFence

    init(device: VulkanDevice) throws {
        self.device = device
        var info = VkFenceCreateInfo()
        info.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO
        var f: VkFence?
        try check(vkCreateFence(device.handle, &info, nil, &f), "vkCreateFence")
        handle = f!
    }

    deinit { vkDestroyFence(device.handle, handle, nil) }

    func wait(spin: Bool) throws {
        try wait(sleepNanos: 0, spinNanos: spin ? 200_000 : 0)
    }

    /// Sleeps `sleepNanos` (work that surely takes that long), polls the status for up to
    /// `spinNanos` more, then blocks: a blocked wait wakes up tens to hundreds of microseconds
    /// after the GPU finished, a poll at once.
    func wait(sleepNanos: UInt64, spinNanos: UInt64) throws {
        if sleepNanos > 0 { usleep(useconds_t(sleepNanos / 1000)) }
        if spinNanos > 0 {
            let start = DispatchTime.now().uptimeNanoseconds
            while DispatchTime.now().uptimeNanoseconds - start < spinNanos {
                let s = vkGetFenceStatus(device.handle, handle)
                if s == VK_SUCCESS { return reset() }
                if s != VK_NOT_READY { try check(s, "vkGetFenceStatus") }
            }
        }
        var f: VkFence? = handle
        // Ten minutes: a hung kernel surfaces as an error rather than a hang forever.
        try check(vkWaitForFences(device.handle, 1, &f, VkBool32(VK_TRUE), 600_000_000_000), "vkWaitForFences")
        reset()
    }

    private func reset() {
        var f: VkFence? = handle
        vkResetFences(device.handle, 1, &f)
    }
}
