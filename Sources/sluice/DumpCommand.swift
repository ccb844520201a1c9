import ArgumentParser
import SluiceGraph

struct DumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print a graph as text, Graphviz DOT or JSON.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, dot, json }

    @Argument(help: "A graph in the text format (see docs/OPS.md).")
    var graphFile: String

    @Option(help: "Output format: text, dot or json.")
    var format: Format = .text

    @Option(name: .shortAndLong, help: "Write to FILE instead of standard output.")
    var output: String?

    func run() throws {
        let g = try GraphFiles.load(graphFile)
        let text: String
        switch format {
        case .text: text = GraphPrinter.print(g)
        case .dot: text = GraphExport.dot(g)
        case .json: text = GraphExport.json(g)
        }
        try GraphFiles.write(text, to: output)
    }
}
