import ArgumentParser
import Foundation
import Sluice

/// `-m`, `-c` and the device: how every model command opens its model.
struct ModelOptions: ParsableArguments {
    static let defaultModel = "models/SmolLM2-135M-Instruct.Q4_1.gguf"

    @Option(name: .shortAndLong, help: "Model: a .gguf file, a Hugging Face folder (config.json + safetensors) or an .onnx file. Default: \(ModelOptions.defaultModel) (make run fetches it).")
    var model: String?

    @Option(name: [.customShort("c"), .long], help: "Context length in tokens (KV cache rows). Default: the model's.")
    var ctx: Int?

    @Option(help: "Rows per prefill run (the plan's largest T).")
    var batch: Int = 256

    @Flag(help: "Run on the CPU reference interpreter instead of Vulkan (slow; for checking).")
    var reference = false

    @Flag(help: "Print GPU time per operator at the end.")
    var profile = false

    @OptionGroup var device: DeviceOptions

    @OptionGroup var passOptions: PassOptions

    var path: String {
        if let m = model { return m }
        if let env = environmentValue("SLUICE_MODEL"), !env.isEmpty { return env }
        return Self.defaultModel
    }

    func load() throws -> LoadedModel {
        let p = path
        guard FileManager.default.fileExists(atPath: p) else {
            throw CLIError(model == nil ? "the default model \(p) is missing: run `make run` or scripts/fetch-model.sh" : "-m: no file at \(p)")
        }
        let progress = Progress(label: "loading \(p)")
        let start = Date()
        let m = try ModelLoader.load(path: p)
        progress.finish()
        printErr(String(format: "model: %@ (%@, %d layers, %.1fM parameters), loaded in %.2f s",
                        (p as NSString).lastPathComponent, m.config.architecture, m.config.layers,
                        Double(m.parameterCount) / 1e6, Date().timeIntervalSince(start)))
        return m
    }

    func contextLength(_ m: LoadedModel) throws -> Int {
        let c = ctx ?? m.config.contextLength
        guard c >= 1 else { throw CLIError("-c: must be at least 1") }
        return c
    }

    func runner(_ m: LoadedModel) throws -> ModelRunner {
        let c = try contextLength(m)
        if reference {
            printErr("device: reference interpreter (CPU, float32)")
            return try ReferenceRunner(model: m, contextLength: c, maxChunk: batch, passes: try passOptions.manager())
        }
        let d = try device.open()
        let start = Date()
        let progress = Progress(label: "uploading weights")
        let r = try VulkanRunner(device: d, model: m, contextLength: c, maxChunk: batch, profile: profile, passes: try passOptions.manager(for: d.info))
        progress.finish()
        printErr(String(format: "uploaded and planned in %.2f s; device memory %.1f MiB", Date().timeIntervalSince(start), Double(r.deviceBytes) / 1_048_576))
        return r
    }
}

/// A one-line spinner on standard error while something loads, only on a terminal.
final class Progress {
    let label: String
    let active: Bool
    init(label: String) {
        self.label = label
        active = isatty(2) != 0
        if active { printErrInline("\(label)…") }
    }
    func finish() { if active { printErrInline("\r\u{1B}[K") } }
}
