import ArgumentParser
import Foundation
import Sluice

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate text from a prompt, streaming it as it comes.",
        discussion: "Statistics (device, load time, prefill and decode tokens per second) go to standard error.")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var sampling: SamplingOptions

    @Option(name: .shortAndLong, help: "The prompt text.")
    var prompt: String?

    @Option(help: "The prompt as token ids, e.g. 1,2,3 (for models without a tokenizer).")
    var promptIds: String?

    @Option(name: .short, help: "Tokens to generate at most.")
    var n: Int = 64

    @Option(help: "Stop when the output contains this text (repeatable).")
    var stop: [String] = []

    @Flag(help: "Print the generated token ids instead of text.")
    var printIds = false

    @Option(help: "Write the float32 logits of every generated step to FILE.npy, shape [steps, vocab].")
    var dumpLogits: String?

    func run() throws {
        let model = try modelOptions.load()
        let ids: [Int32]
        if let p = promptIds {
            ids = try p.split(separator: ",").map {
                guard let v = Int32($0.trimmingCharacters(in: .whitespaces)), v >= 0, Int(v) < model.config.vocabSize else {
                    throw CLIError("--prompt-ids: '\($0)' is not a token id below \(model.config.vocabSize)")
                }
                return v
            }
        } else if let text = prompt {
            guard let tok = model.tokenizer else { throw SluiceError.noTokenizer(model.path) }
            ids = tok.encode(text)
        } else {
            throw CLIError("give a prompt: -p TEXT or --prompt-ids 1,2,3")
        }
        let params = try sampling.parameters()
        let runner = try modelOptions.runner(model)
        let gen = Generator(runner: runner)
        defer { if let v = runner as? VulkanRunner { v.printProfiles() } }
        var decoder = model.tokenizer.map { StreamingDecoder(tokenizer: $0) }
        var text = "", generated: [Int32] = []
        var logits: [[Float]] = []
        let stops = model.tokenizer?.endOfGeneration ?? []
        if !printIds, let tok = model.tokenizer { printStreaming(tok.decode(ids, skipControl: true)) }
        let stats = try gen.generate(prompt: ids, maxTokens: n, sampling: params,
                                     onLogits: dumpLogits == nil ? nil : { logits.append($0) }) { id in
            generated.append(id)
            if stops.contains(id) { return false }
            if printIds { printStreaming(generated.count == 1 ? "\(id)" : ",\(id)"); return true }
            if var d = decoder {
                let piece = d.append(id)
                decoder = d
                text += piece
                printStreaming(piece)
                if stop.contains(where: { text.contains($0) }) { return false }
            }
            return true
        }
        if !printIds, var d = decoder { printStreaming(d.finish()) }
        // Flushed, so the statistics on stderr come after the text even when both are piped.
        printStreaming("\n")
        if let path = dumpLogits { try NumpyFile.write(logits, to: path) }
        printErr(String(format: "prompt: %d tokens, prefill %.1f tok/s; generated: %d tokens, decode %.1f tok/s",
                        stats.promptTokens, stats.prefillTokensPerSecond, stats.generatedTokens, stats.decodeTokensPerSecond))
    }
}

struct SamplingOptions: ParsableArguments {
    @Option(help: "Temperature; 0 is greedy (argmax on the GPU).")
    var temp: Float = 0
    @Option(help: "Keep the K most likely tokens (0 = all).")
    var topK: Int = 40
    @Option(help: "Keep the smallest set with this total probability.")
    var topP: Float = 0.95
    @Option(help: "Drop tokens below this fraction of the top probability.")
    var minP: Float = 0.05
    @Option(help: "Penalty for tokens seen in the last 64 (1 = off).")
    var repeatPenalty: Float = 1
    @Option(help: "Random seed for sampling.")
    var seed: UInt64 = 0

    func parameters() throws -> SamplingParameters {
        var p = SamplingParameters()
        p.temperature = temp; p.topK = topK; p.topP = topP; p.minP = minP
        p.repeatPenalty = repeatPenalty; p.seed = seed
        try p.validate()
        return p
    }
}

/// Writes float32 arrays in NumPy's .npy format (version 1.0).
enum NumpyFile {
    static func write(_ rows: [[Float]], to path: String) throws {
        let cols = rows.first?.count ?? 0
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows.count), \(cols)), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let len = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(len & 0xFF), UInt8(len >> 8)])
        data.append(contentsOf: Array(header.utf8))
        for r in rows { r.withUnsafeBytes { data.append(contentsOf: $0) } }
        guard FileManager.default.createFile(atPath: path, contents: data) else { throw CLIError("--dump-logits: cannot write \(path)") }
    }
}
