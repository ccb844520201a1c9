import ArgumentParser
import Foundation
import Sluice

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tokenize", abstract: "Print the token ids of a text, space-separated.")

    @Option(name: .shortAndLong, help: "Model file (.gguf) whose tokenizer to use.")
    var model: String?
    @Option(name: .shortAndLong, help: "The text.")
    var prompt: String?
    @Option(name: .shortAndLong, help: "Read the text from FILE.")
    var file: String?

    func run() throws {
        let path = model ?? environmentValue("SLUICE_MODEL") ?? ModelOptions.defaultModel
        let f = try GGUFFile(path: path)
        let tok = try Tokenizer(gguf: f.metadata)
        let text: String
        if let p = prompt { text = p } else if let file {
            guard let d = FileManager.default.contents(atPath: file) else { throw CLIError("-f: cannot read \(file)") }
            text = String(decoding: d, as: UTF8.self)
        } else { throw CLIError("give -p TEXT or -f FILE") }
        print(tok.encode(text).map(String.init).joined(separator: " "))
    }
}

struct PerplexityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perplexity",
        abstract: "Perplexity of a text: windows of -c tokens, each from an empty cache, every token after a window's first scored.")

    @OptionGroup var modelOptions: ModelOptions
    @Option(name: .shortAndLong, help: "The text file.")
    var file: String
    @Option(help: "Score at most this many windows.")
    var chunks: Int?

    func run() throws {
        let model = try modelOptions.load()
        guard let tok = model.tokenizer else { throw SluiceError.noTokenizer(model.path) }
        guard let d = FileManager.default.contents(atPath: file) else { throw CLIError("-f: cannot read \(file)") }
        let ids = tok.encode(String(decoding: d, as: UTF8.self), addSpecial: false)
        let window = modelOptions.ctx ?? 256
        var opts = modelOptions
        opts.ctx = window
        let gen = Generator(runner: try opts.runner(model))
        let start = Date()
        let (ppl, scored) = try gen.perplexity(ids, window: window, chunks: chunks)
        print(String(format: "perplexity: %.4f over %d tokens (%d-token windows)", ppl, scored, window))
        printErr(String(format: "%.1f tokens/s", Double(scored) / Date().timeIntervalSince(start)))
    }
}

struct ChatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Chat interactively with the model's chat template; the KV cache is kept across turns.")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var sampling: SamplingOptions
    @Option(name: .short, help: "Tokens per reply at most.")
    var n: Int = 256

    func run() throws {
        let model = try modelOptions.load()
        guard let tok = model.tokenizer else { throw SluiceError.noTokenizer(model.path) }
        guard let template = ChatTemplate(jinja: model.chatTemplate) ?? ChatTemplate(vocabularyHas: { tok.id(of: $0) != nil }) else {
            throw CLIError("\(model.path): no chat template this build understands (ChatML, Gemma's and Llama 3's turns are supported)")
        }
        let params = try sampling.parameters()
        let gen = Generator(runner: try modelOptions.runner(model))
        let endID = tok.id(of: template.endOfTurn), stops = tok.endOfGeneration
        var first = true
        while true {
            printStreaming("> ")
            guard let line = readLine() else { break }
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let ids = tok.encode(template.userTurn(line, first: first), addSpecial: first)
            first = false
            var decoder = StreamingDecoder(tokenizer: tok, skipControl: true)
            var last: Int32 = -1
            let maxReply = min(n, modelOptions.contextLengthLeft(gen, ids.count))
            guard maxReply > 0 else { throw SluiceError.contextFull(needed: gen.history.count + ids.count + 1, capacity: gen.runner.contextLength) }
            _ = try gen.generate(prompt: ids, maxTokens: maxReply, sampling: params) { id in
                last = id
                if id == endID || stops.contains(id) { return false }
                printStreaming(decoder.append(id))
                return true
            }
            printStreaming(decoder.finish() + "\n")
            // Close the turn in the cache so the next one follows the template.
            if let e = endID { _ = try gen.prefill(last == e || last < 0 ? [e] : [last, e]) }
            let after = tok.encode(template.afterTurn, addSpecial: false)
            if !after.isEmpty { _ = try gen.prefill(after) }
        }
    }
}

extension ModelOptions {
    func contextLengthLeft(_ g: Generator, _ prompt: Int) -> Int { g.runner.contextLength - g.history.count - prompt - 2 }
}
