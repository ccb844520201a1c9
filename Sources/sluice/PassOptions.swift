import ArgumentParser
import SluicePasses

/// The pass pipeline options every command that builds a graph takes.
struct PassOptions: ParsableArguments {
    @Option(help: "Replace the pass pipeline, e.g. dce,cse,fuse-add-norm.")
    var passes: String?

    @Option(help: "Leave out a pass (repeatable).")
    var disablePass: [String] = []

    @Flag(help: "Run the cleanup passes only, no fusion.")
    var noFuse = false

    /// The pipeline; on a CPU driver the default leaves out the norm prologues (see
    /// `PassManager.standardForCPU`).
    func manager(cpu: Bool = false) throws -> PassManager {
        try PassManager.configured(passes: passes, disabled: disablePass, noFuse: noFuse, cpu: cpu)
    }
}
