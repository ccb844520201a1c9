import ArgumentParser
import SluiceBackend
import SluicePasses

/// The pass pipeline options every command that builds a graph takes.
struct PassOptions: ParsableArguments {
    @Option(help: "Replace the pass pipeline, e.g. dce,cse,fuse-add-norm.")
    var passes: String?

    @Option(help: "Leave out a pass (repeatable).")
    var disablePass: [String] = []

    @Flag(help: "Run the cleanup passes only, no fusion.")
    var noFuse = false

    @Option(help: "K/V cache type: f32, f16 (half the memory; the half-kv-cache pass), or auto: f16 on GPUs with 16-bit storage buffers, else f32.")
    var kvCache: String = "auto"

    /// The pipeline for `device` (nil: the reference interpreter or no device); on a CPU
    /// driver the default leaves out the norm prologues (see `PassManager.standardForCPU`).
    func manager(for device: DeviceInfo? = nil) throws -> PassManager {
        let pm = try PassManager.configured(passes: passes, disabled: disablePass, noFuse: noFuse, cpu: device?.kind == .cpu)
        switch kvCache {
        case "f32": return pm
        case "f16": return pm.withHalfCache()
        case "auto":
            guard let d = device, d.halfCacheByDefault, !disablePass.contains(HalfCache.pass.name) else { return pm }
            return pm.withHalfCache()
        default: throw ValidationError("--kv-cache: '\(kvCache)' is not one of auto, f32, f16")
        }
    }
}
