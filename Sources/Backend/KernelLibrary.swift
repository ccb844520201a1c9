import CVulkan
import Foundation
import SluiceGraph

/// A compute pipeline for one kernel binary, with its layouts.
final class Pipeline {
    /// SLUICE_KERNEL_DIR (kernel work): a file NAME.spv there replaces the built-in binary of
    /// kernel NAME, so a changed kernel can be tried on another machine without rebuilding
    /// the program. Said on stderr each time one is used.
    static func override(_ name: String) throws -> Data? {
        guard let dir = environmentValue("SLUICE_KERNEL_DIR") else { return nil }
        let url = URL(fileURLWithPath: dir).appendingPathComponent(name + ".spv")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let data = try Data(contentsOf: url)
        guard data.count >= 20, data.count % 4 == 0, data.prefix(4) == Data([0x03, 0x02, 0x23, 0x07]) else {
            throw BackendError.unsupported("\(url.path): not a SPIR-V binary (SLUICE_KERNEL_DIR)")
        }
        FileHandle.standardError.write(Data("sluice: kernel \(name) from \(url.path) (SLUICE_KERNEL_DIR)\n".utf8))
        return data
    }

    let device: VulkanDevice
    let handle: VkPipeline
    let layout: VkPipelineLayout
    let setLayout: VkDescriptorSetLayout
    let bindingCount: Int
    let pushBytes: Int
    /// The descriptor kind of each binding 0 ..< bindingCount.
    let kinds: [BindingKind]

    init(device: VulkanDevice, name: String, bindings: Int, pushBytes: Int, constants: [UInt32] = []) throws {
        self.device = device
        bindingCount = bindings
        self.pushBytes = pushBytes
        guard let data = try Pipeline.override(name) ?? SPIRV.all[name].flatMap({ Data(base64Encoded: $0) }) else {
            throw BackendError.unsupported("no kernel binary named '\(name)' is built into this binary")
        }
        guard pushBytes <= Int(device.info.maxPushConstants) else {
            throw BackendError.unsupported("kernel \(name) needs \(pushBytes) bytes of push constants; \(device.info.name) offers \(device.info.maxPushConstants)")
        }
        let words = data.withUnsafeBytes { Array($0.bindMemory(to: UInt32.self)) }
        let declared = try BindingKind.read(spirv: words, kernel: name)
        let kinds = (0..<bindings).map { declared[$0] ?? .storage }
        self.kinds = kinds
        var module: VkShaderModule?
        var minfo = VkShaderModuleCreateInfo()
        minfo.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO
        minfo.codeSize = words.count * 4
        try words.withUnsafeBufferPointer { p in
            minfo.pCode = p.baseAddress
            try check(vkCreateShaderModule(device.handle, &minfo, nil, &module), "vkCreateShaderModule(\(name))")
        }
        defer { vkDestroyShaderModule(device.handle, module, nil) }

        var slots = (0..<bindings).map { i -> VkDescriptorSetLayoutBinding in
            var b = VkDescriptorSetLayoutBinding()
            b.binding = UInt32(i)
            b.descriptorType = kinds[i].descriptorType
            b.descriptorCount = 1
            b.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT.rawValue
            return b
        }
        var sl: VkDescriptorSetLayout?
        try slots.withUnsafeMutableBufferPointer { p in
            var info = VkDescriptorSetLayoutCreateInfo()
            info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO
            info.bindingCount = UInt32(bindings)
            info.pBindings = UnsafePointer(p.baseAddress)
            try check(vkCreateDescriptorSetLayout(device.handle, &info, nil, &sl), "vkCreateDescriptorSetLayout(\(name))")
        }
        setLayout = sl!
        var range = VkPushConstantRange(stageFlags: VK_SHADER_STAGE_COMPUTE_BIT.rawValue, offset: 0, size: UInt32(pushBytes))
        var setLayoutOpt: VkDescriptorSetLayout? = setLayout
        var pl: VkPipelineLayout?
        var linfo = VkPipelineLayoutCreateInfo()
        linfo.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO
        linfo.setLayoutCount = 1
        let r: VkResult = withUnsafePointer(to: &setLayoutOpt) { sp in
            withUnsafePointer(to: &range) { rp in
                linfo.pSetLayouts = sp
                linfo.pushConstantRangeCount = pushBytes > 0 ? 1 : 0
                linfo.pPushConstantRanges = pushBytes > 0 ? rp : nil
                return vkCreatePipelineLayout(device.handle, &linfo, nil, &pl)
            }
        }
        try check(r, "vkCreatePipelineLayout(\(name))")
        layout = pl!
        let pipelineLayout = pl!
        var pipe: VkPipeline?
        // Specialization constant i (constant_id i) is the i-th 4-byte value.
        let entries = constants.indices.map { VkSpecializationMapEntry(constantID: UInt32($0), offset: UInt32(4 * $0), size: 4) }
        let pr: VkResult = "main".withCString { entry in
            entries.withUnsafeBufferPointer { ep in
                constants.withUnsafeBytes { cp in
                    var spec = VkSpecializationInfo(mapEntryCount: UInt32(entries.count), pMapEntries: ep.baseAddress,
                                                    dataSize: cp.count, pData: cp.baseAddress)
                    return withUnsafePointer(to: &spec) { sp in
                        var stage = VkPipelineShaderStageCreateInfo()
                        stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO
                        stage.stage = VK_SHADER_STAGE_COMPUTE_BIT
                        stage.module = module
                        stage.pName = entry
                        stage.pSpecializationInfo = constants.isEmpty ? nil : sp
                        var cinfo = VkComputePipelineCreateInfo()
                        cinfo.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO
                        cinfo.stage = stage
                        cinfo.layout = pipelineLayout
                        if device.capturesStatistics { cinfo.flags = VK_PIPELINE_CREATE_CAPTURE_STATISTICS_BIT_KHR.rawValue }
                        return vkCreateComputePipelines(device.handle, nil, 1, &cinfo, nil, &pipe)
                    }
                }
            }
        }
        try check(pr, "vkCreateComputePipelines(\(name))")
        PipelineStats.report(device, pipe!, name: name)
        handle = pipe!
    }

    deinit {
        vkDestroyPipeline(device.handle, handle, nil)
        vkDestroyPipelineLayout(device.handle, layout, nil)
        vkDestroyDescriptorSetLayout(device.handle, setLayout, nil)
    }
}

/// Pipelines by kernel name, created on first use.
final class KernelLibrary {
    let device: VulkanDevice
    private var pipelines: [String: Pipeline] = [:]

    init(device: VulkanDevice) { self.device = device }

    func pipeline(_ name: String, bindings: Int, pushBytes: Int, constants: [UInt32] = []) throws -> Pipeline {
        let key = constants.isEmpty ? name : name + "#" + constants.map(String.init).joined(separator: ",")
        if let p = pipelines[key] {
            guard p.bindingCount == bindings, p.pushBytes == pushBytes else {
                throw BackendError.unsupported("kernel \(name) used with \(bindings) bindings / \(pushBytes) push bytes, first with \(p.bindingCount) / \(p.pushBytes)")
            }
            return p
        }
        let p = try Pipeline(device: device, name: name, bindings: bindings, pushBytes: pushBytes, constants: constants)
        pipelines[key] = p
        return p
    }
}
