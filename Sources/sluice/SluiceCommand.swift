import ArgumentParser

struct SluiceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "A dataflow-graph runtime for LLM inference on Vulkan.",
        subcommands: [])
}
