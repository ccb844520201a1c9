import ArgumentParser
import SluiceBackend

struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List the Vulkan devices with their type, driver, memory and limits.")

    func run() throws {
        let infos = try VulkanDevice.list()
        if infos.isEmpty { print("no Vulkan devices (install a driver: apt-get install mesa-vulkan-drivers)") }
        let chosen = try? chooseDevice(infos, selector: nil)
        for d in infos {
            print("[\(d.index)] \(d.name)\(d.index == chosen?.index ? "   (default)" : "")")
            print("    type \(d.kind.rawValue), driver \(d.driverName) \(d.driverInfo), Vulkan \(d.apiVersion)")
            print("    device-local memory \(String(format: "%.1f", Double(d.deviceLocalBytes) / 1_073_741_824)) GiB, subgroup \(d.subgroupSize)\(d.subgroupArithmetic ? " (arithmetic)" : ""), float16 \(d.shaderFloat16 ? "yes" : "no")")
            print("    maxStorageBufferRange \(d.maxStorageBufferRange), shared memory \(d.maxSharedMemory), push constants \(d.maxPushConstants), workgroups \(d.maxWorkGroupCount.0)")
            let p = d.persistentDecode
            print("    multiprocessors \(d.multiprocessors.map(String.init) ?? "not reported"), buffer device addresses \(d.bufferDeviceAddress ? "yes" : "no"); "
                  + "persistent decode kernel \(p.enabled ? "on, \(p.groups) workgroup\(p.groups == 1 ? "" : "s")" : "off") (SLUICE_PERSISTENT=0|1)")
            print("    matrix cores (VK_KHR_cooperative_matrix, 16×16×16 float16) \(d.coopMatF16 ? "yes" : "no"); "
                  + "prefill kernels for them \(SPIRV.hasCoopMatKernels ? "built in" : "not built (scripts/fetch-glslc-coopmat.sh)")"
                  + (d.coopMatF16 && SPIRV.hasCoopMatKernels ? ", used (SLUICE_COOPMAT=0 turns them off)" : ""))
            print("    matrix kernels \(d.defaultMatmulVariant)\(d.defaultMatmulVariant == "texel" ? " (texel buffers, for CPU drivers)" : "") "
                  + "(SLUICE_MATMUL_VARIANT=shared|subgroup|texel), maxTexelBufferElements \(d.maxTexelBufferElements)")
            print("    16-bit storage buffers \(d.storage16 ? "yes" : "no"): K/V cache "
                  + (d.halfCacheByDefault ? "float16 by default (--kv-cache f32 for float32)" : "float32 by default (--kv-cache f16 \(d.storage16 ? "allowed" : "unavailable"))"))
        }
    }
}

/// `--device` and the banner every Vulkan command prints.
struct DeviceOptions: ParsableArguments {
    @Option(help: "Vulkan device: an index or a name substring (see `sluice devices`).")
    var device: String?

    func open() throws -> VulkanDevice {
        let d = try VulkanDevice(selector: device)
        var line = "device: \(d.info.summary)"
        if d.info.kind == .cpu { line += "\nhint: this is a CPU driver; a GPU would be much faster" }
        printErr(line)
        return d
    }
}
