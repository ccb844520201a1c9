import ArgumentParser

struct SluiceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "A dataflow-graph runtime for LLM inference on Vulkan.",
        discussion: """
        Graphs are written in Sluice's text format (docs/OPS.md); graphs/ has examples.
        """,
        subcommands: [GenerateCommand.self, BenchCommand.self, ChatCommand.self, TokenizeCommand.self, PerplexityCommand.self, RunCommand.self, DumpCommand.self, DevicesCommand.self])
}
