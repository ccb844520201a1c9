import CVulkan
import Foundation
import SluiceGraph

/// What a physical device is and the limits that matter to Sluice.
public struct DeviceInfo: Sendable {
    public enum Kind: String, Sendable { case discrete, integrated, virtual, cpu, other }

    public var index: Int
    public var name: String
    public var kind: Kind
    public var apiVersion: String
    public var driverName: String
    public var driverInfo: String
    public var deviceLocalBytes: UInt64
    public var subgroupSize: Int
    /// Subgroup arithmetic (subgroupAdd, subgroupMax) in compute shaders.
    public var subgroupArithmetic: Bool
    /// Subgroup shuffles (subgroupShuffleXor) in compute shaders, with subgroups of at least 4.
    public var subgroupShuffle: Bool = false
    public var maxStorageBufferRange: UInt64
    public var minStorageBufferOffsetAlignment: UInt64
    public var maxWorkGroupCount: (UInt32, UInt32, UInt32)
    public var maxSharedMemory: UInt32
    public var maxPushConstants: UInt32
    public var timestampPeriodNs: Float
    public var shaderFloat16: Bool
    /// Buffer device addresses (Vulkan 1.2): kernels may read buffers through pointers,
    /// which the persistent decode kernel needs.
    public var bufferDeviceAddress: Bool = false
    /// Streaming multiprocessors, where the driver says (VK_NV_shader_sm_builtins): how many
    /// workgroups of the persistent kernel are surely resident at once.
    public var multiprocessors: Int?
    /// Matrix cores through VK_KHR_cooperative_matrix: the device lists the 16×16×16
    /// float16 × float16 + float32 subgroup shape and has shaderFloat16 and the Vulkan memory
    /// model (what matmul_coop.comp needs). SLUICE_COOPMAT=0 turns them off.
    public var coopMatF16: Bool = false
    /// 16-bit storage buffers (storageBuffer16BitAccess): float16 K/V caches.
    public var storage16: Bool = false
    /// 64-bit integers with atomic loads and stores on buffers (shaderInt64,
    /// shaderBufferInt64Atomics): the persistent kernel's tagged values.
    public var int64Atomics: Bool = false
    /// Texels one uniform texel buffer may span, and the alignment of its offset (the
    /// matrix kernels' texel variant for CPU drivers).
    public var maxTexelBufferElements: UInt64 = 0
    public var minTexelBufferOffsetAlignment: UInt64 = 1
    /// A device-wide clock in kernels (VK_KHR_shader_clock's shaderDeviceClock): the
    /// persistent kernel's per-stage timestamps under `--profile`.
    public var shaderDeviceClock = false
    /// VK_KHR_pipeline_executable_properties (SLUICE_PIPELINE_STATS: PipelineStats.swift).
    public var pipelineExecutableInfo = false

    /// Whether `--kv-cache auto` means float16: on GPUs with 16-bit storage buffers (on CPU
    /// drivers the conversions cost more than the halved bytes save).
    public var halfCacheByDefault: Bool { storage16 && kind != .cpu }

    /// The matrix kernels' shape without SLUICE_MATMUL_VARIANT (LoweringContext.matmulVariant):
    /// texel reads on CPU drivers, else subgroups splitting K where the device has subgroup
    /// arithmetic, else one invocation per column with shared-memory reductions.
    public var defaultMatmulVariant: String { kind == .cpu ? "texel" : (subgroupMatmul ? "subgroup" : "shared") }

    /// Whether the subgroup matrix kernels fit: they stage a row of up to 7,680 floats in
    /// shared memory (prologue.glsl; 32,720 bytes with the reductions'), which Vulkan's
    /// 16 KiB minimum does not guarantee.
    public var subgroupMatmul: Bool { subgroupArithmetic && maxSharedMemory >= 32_768 }

    /// Order of preference: discrete GPU, integrated GPU, virtual, CPU.
    var rank: Int {
        switch kind {
        case .discrete: return 0
        case .integrated: return 1
        case .virtual: return 2
        case .other: return 3
        case .cpu: return 4
        }
    }

    static func read(_ pd: VkPhysicalDevice, index: Int, instance: VkInstance?) -> DeviceInfo {
        var props = VkPhysicalDeviceProperties()
        vkGetPhysicalDeviceProperties(pd, &props)
        var subgroup = VkPhysicalDeviceSubgroupProperties()
        subgroup.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES
        var driver = VkPhysicalDeviceDriverProperties()
        driver.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES
        var sm = VkPhysicalDeviceShaderSMBuiltinsPropertiesNV()
        sm.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_SM_BUILTINS_PROPERTIES_NV
        let hasDriverProps = props.apiVersion >= vkVersion(1, 2)
        // The SM count where the driver has VK_NV_shader_sm_builtins, in the same chain.
        let hasSMs = deviceExtensions(pd).contains("VK_NV_shader_sm_builtins")
        withUnsafeMutablePointer(to: &sm) { smp in
            if hasSMs { driver.pNext = UnsafeMutableRawPointer(smp) }
            withUnsafeMutablePointer(to: &driver) { dp in
                if hasDriverProps { subgroup.pNext = UnsafeMutableRawPointer(dp) } else if hasSMs { subgroup.pNext = UnsafeMutableRawPointer(smp) }
                withUnsafeMutablePointer(to: &subgroup) { sp in
                    var p2 = VkPhysicalDeviceProperties2()
                    p2.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2
                    p2.pNext = UnsafeMutableRawPointer(sp)
                    vkGetPhysicalDeviceProperties2(pd, &p2)
                }
            }
        }
        let smCount: Int? = hasSMs && sm.shaderSMCount > 0 ? Int(sm.shaderSMCount) : nil
        let features = readFeatures(pd, vulkan12: hasDriverProps)
        let coopMat = environmentValue("SLUICE_COOPMAT") != "0" && features.coopMat
            && features.float16 && features.memoryModel && instance.map { hasCoopMatF16Shape(pd, instance: $0) } == true
        var mem = VkPhysicalDeviceMemoryProperties()
        vkGetPhysicalDeviceMemoryProperties(pd, &mem)
        var local: UInt64 = 0
        withUnsafeBytes(of: mem.memoryHeaps) { raw in
            let heaps = raw.bindMemory(to: VkMemoryHeap.self)
            for i in 0..<Int(mem.memoryHeapCount) where heaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT.rawValue != 0 {
                local += heaps[i].size
            }
        }
        let kind: Kind
        switch props.deviceType {
        case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: kind = .discrete
        case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: kind = .integrated
        case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: kind = .virtual
        case VK_PHYSICAL_DEVICE_TYPE_CPU: kind = .cpu
        default: kind = .other
        }
        let ops = subgroup.supportedOperations
        // SLUICE_SUBGROUPS=0 forces the shared-memory kernels (to test the fallback).
        let allowed = environmentValue("SLUICE_SUBGROUPS") != "0"
        let arith = allowed && ops & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT.rawValue != 0
            && subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT.rawValue != 0
        let shuffle = allowed && ops & VK_SUBGROUP_FEATURE_SHUFFLE_BIT.rawValue != 0
            && subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT.rawValue != 0 && subgroup.subgroupSize >= 4
        let l = props.limits
        return DeviceInfo(
            index: index, name: cString(props.deviceName), kind: kind, apiVersion: versionString(props.apiVersion),
            driverName: hasDriverProps ? cString(driver.driverName) : "unknown",
            driverInfo: hasDriverProps ? cString(driver.driverInfo) : "",
            deviceLocalBytes: local, subgroupSize: Int(subgroup.subgroupSize), subgroupArithmetic: arith, subgroupShuffle: shuffle,
            maxStorageBufferRange: UInt64(l.maxStorageBufferRange),
            minStorageBufferOffsetAlignment: l.minStorageBufferOffsetAlignment,
            maxWorkGroupCount: l.maxComputeWorkGroupCount, maxSharedMemory: l.maxComputeSharedMemorySize,
            maxPushConstants: l.maxPushConstantsSize, timestampPeriodNs: l.timestampPeriod,
            shaderFloat16: features.float16, bufferDeviceAddress: features.deviceAddress,
            multiprocessors: smCount, coopMatF16: coopMat, storage16: features.storage16, int64Atomics: features.int64Atomics,
            maxTexelBufferElements: UInt64(l.maxTexelBufferElements),
            minTexelBufferOffsetAlignment: l.minTexelBufferOffsetAlignment,
            shaderDeviceClock: hasDeviceClock(pd),
            pipelineExecutableInfo: deviceExtensions(pd).contains(PipelineStats.extensionName))
    }

    /// Whether the device lists VK_KHR_shader_clock with shaderDeviceClock.
    static func hasDeviceClock(_ pd: VkPhysicalDevice) -> Bool {
        guard deviceExtensions(pd).contains("VK_KHR_shader_clock") else { return false }
        var clock = VkPhysicalDeviceShaderClockFeaturesKHR()
        clock.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_CLOCK_FEATURES_KHR
        var f2 = VkPhysicalDeviceFeatures2()
        f2.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2
        withUnsafeMutablePointer(to: &clock) { cp in
            f2.pNext = UnsafeMutableRawPointer(cp)
            vkGetPhysicalDeviceFeatures2(pd, &f2)
        }
        return clock.shaderDeviceClock != 0
    }

    struct Features { var float16 = false, deviceAddress = false, memoryModel = false, coopMat = false, storage16 = false, int64Atomics = false }

    /// The optional features Sluice uses: through VkPhysicalDeviceVulkan12Features on
    /// Vulkan 1.2 devices (plus VK_KHR_cooperative_matrix's where listed), else float16 only.
    static func readFeatures(_ pd: VkPhysicalDevice, vulkan12: Bool) -> Features {
        var f = Features()
        var f2 = VkPhysicalDeviceFeatures2()
        f2.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2
        if vulkan12 {
            var v11 = VkPhysicalDeviceVulkan11Features()
            v11.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES
            var v12 = VkPhysicalDeviceVulkan12Features()
            v12.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES
            var cm = SluiceCoopMatFeatures()
            cm.sType = VkStructureType(rawValue: 1000506000)
            let hasCoopMat = deviceExtensions(pd).contains("VK_KHR_cooperative_matrix")
            withUnsafeMutablePointer(to: &cm) { cp in
                if hasCoopMat { v12.pNext = UnsafeMutableRawPointer(cp) }
                withUnsafeMutablePointer(to: &v12) { vp in
                    v11.pNext = UnsafeMutableRawPointer(vp)
                    withUnsafeMutablePointer(to: &v11) { v1p in
                        f2.pNext = UnsafeMutableRawPointer(v1p)
                        vkGetPhysicalDeviceFeatures2(pd, &f2)
                    }
                }
            }
            f.float16 = v12.shaderFloat16 != 0
            f.deviceAddress = v12.bufferDeviceAddress != 0
            f.memoryModel = v12.vulkanMemoryModel != 0
            f.coopMat = hasCoopMat && cm.cooperativeMatrix != 0
            f.storage16 = v11.storageBuffer16BitAccess != 0
            f.int64Atomics = f2.features.shaderInt64 != 0 && v12.shaderBufferInt64Atomics != 0
        } else {
            var f16 = VkPhysicalDeviceShaderFloat16Int8Features()
            f16.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES
            withUnsafeMutablePointer(to: &f16) { fp in
                f2.pNext = UnsafeMutableRawPointer(fp)
                vkGetPhysicalDeviceFeatures2(pd, &f2)
            }
            f.float16 = f16.shaderFloat16 != 0
        }
        return f
    }

    /// Whether vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR lists M = N = K = 16 with
    /// float16 A and B, float32 C and result, at subgroup scope.
    static func hasCoopMatF16Shape(_ pd: VkPhysicalDevice, instance: VkInstance) -> Bool {
        guard let fn = vkGetInstanceProcAddr(instance, "vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR") else { return false }
        let props = unsafeBitCast(fn, to: SluiceCoopMatPropertiesFn.self)
        var n: UInt32 = 0
        guard props(pd, &n, nil) == VK_SUCCESS, n > 0, n < 4096 else { return false }
        var list = [SluiceCoopMatProperties](repeating: SluiceCoopMatProperties(), count: Int(n))
        for i in list.indices { list[i].sType = VkStructureType(rawValue: 1000506001) }
        guard props(pd, &n, &list) == VK_SUCCESS else { return false }
        return list.prefix(Int(n)).contains { p in
            p.MSize == 16 && p.NSize == 16 && p.KSize == 16 && p.AType == 0 && p.BType == 0 && p.CType == 1
                && p.ResultType == 1 && p.saturatingAccumulation == 0 && p.scope == 3
        }
    }

    /// The names of a physical device's extensions.
    static func deviceExtensions(_ pd: VkPhysicalDevice) -> Set<String> {
        var n: UInt32 = 0
        guard vkEnumerateDeviceExtensionProperties(pd, nil, &n, nil) == VK_SUCCESS, n > 0 else { return [] }
        var props = [VkExtensionProperties](repeating: .init(), count: Int(n))
        guard vkEnumerateDeviceExtensionProperties(pd, nil, &n, &props) == VK_SUCCESS else { return [] }
        return Set(props.prefix(Int(n)).map { p in withUnsafeBytes(of: p.extensionName) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) } })
    }

    /// One line for `sluice devices` and the "device:" banner.
    public var summary: String {
        "\(name) (\(kind.rawValue), \(driverName), Vulkan \(apiVersion))"
    }
}

/// Picks a device: `selector` as an index or a name substring, else the best kind.
public func chooseDevice(_ infos: [DeviceInfo], selector: String?) throws -> DeviceInfo {
    guard !infos.isEmpty else {
        throw BackendError.noDevice("the Vulkan loader found no physical device; install a driver (apt-get install mesa-vulkan-drivers gives the CPU driver lavapipe)")
    }
    if let s = selector, !s.isEmpty {
        if let i = Int(s) {
            guard infos.indices.contains(i) else {
                throw BackendError.noDevice("--device \(i): there are \(infos.count) devices (0...\(infos.count - 1)); see `sluice devices`")
            }
            return infos[i]
        }
        guard let d = infos.first(where: { $0.name.lowercased().contains(s.lowercased()) }) else {
            throw BackendError.noDevice("--device '\(s)' matches none of: \(infos.map(\.name).joined(separator: ", "))")
        }
        return d
    }
    return infos.min { ($0.rank, $0.index) < ($1.rank, $1.index) }!
}
