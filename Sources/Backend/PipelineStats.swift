import CVulkan
import Foundation
import SluiceGraph

/// The driver's statistics of compiled pipelines (VK_KHR_pipeline_executable_properties):
/// with SLUICE_PIPELINE_STATS set to a kernel-name prefix ("persistent", or "" for all) on
/// a device with the extension, every pipeline whose name starts with it prints the
/// driver's numbers for it to stderr — registers per invocation, shared memory, spills,
/// where the driver reports them. The persistent kernel's register count decides how
/// fast it is and whether its workgroups are all resident at once.
enum PipelineStats {
    static let prefix = environmentValue("SLUICE_PIPELINE_STATS")
    static let extensionName = "VK_KHR_pipeline_executable_properties"

    /// Whether pipelines on a device with the extension are created with statistics.
    static func wanted(_ info: DeviceInfo) -> Bool { prefix != nil && info.pipelineExecutableInfo }

    /// Prints the statistics of `pipeline` (created with the capture flag) when `name` matches.
    static func report(_ device: VulkanDevice, _ pipeline: VkPipeline, name: String) {
        guard device.capturesStatistics, let p = prefix, name.hasPrefix(p),
              let getProps = vkGetDeviceProcAddr(device.handle, "vkGetPipelineExecutablePropertiesKHR"),
              let getStats = vkGetDeviceProcAddr(device.handle, "vkGetPipelineExecutableStatisticsKHR") else { return }
        let props = unsafeBitCast(getProps, to: PFN_vkGetPipelineExecutablePropertiesKHR.self)
        let stats = unsafeBitCast(getStats, to: PFN_vkGetPipelineExecutableStatisticsKHR.self)
        var info = VkPipelineInfoKHR()
        info.sType = VK_STRUCTURE_TYPE_PIPELINE_INFO_KHR
        info.pipeline = pipeline
        var count: UInt32 = 0
        guard props(device.handle, &info, &count, nil) == VK_SUCCESS, count > 0 else { return }
        var execs = [VkPipelineExecutablePropertiesKHR](repeating: .init(), count: Int(count))
        for i in execs.indices { execs[i].sType = VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_PROPERTIES_KHR }
        guard props(device.handle, &info, &count, &execs) == VK_SUCCESS else { return }
        var line = "pipeline \(name):"
        for e in 0..<Int(count) {
            var ex = VkPipelineExecutableInfoKHR()
            ex.sType = VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_INFO_KHR
            ex.pipeline = pipeline
            ex.executableIndex = UInt32(e)
            var n: UInt32 = 0
            guard stats(device.handle, &ex, &n, nil) == VK_SUCCESS, n > 0 else { continue }
            var list = [VkPipelineExecutableStatisticKHR](repeating: .init(), count: Int(n))
            for i in list.indices { list[i].sType = VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_STATISTIC_KHR }
            guard stats(device.handle, &ex, &n, &list) == VK_SUCCESS else { continue }
            for s in list.prefix(Int(n)) {
                let label = withUnsafeBytes(of: s.name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                let value: String
                switch s.format {
                case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_BOOL32_KHR: value = s.value.b32 != 0 ? "yes" : "no"
                case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_INT64_KHR: value = "\(s.value.i64)"
                case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_UINT64_KHR: value = "\(s.value.u64)"
                default: value = "\(s.value.f64)"
                }
                line += " \(label)=\(value);"
            }
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
