import ArgumentParser
import Foundation
import SluiceGraph

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a graph on random inputs and print each output's shape and checksum.",
        discussion: """
        Inputs, weights and state are random but deterministic for a --seed. Symbols take
        T=5, P=0, C=16 unless --bind says otherwise.
        """)

    @Argument(help: "A graph in the text format (see docs/OPS.md).")
    var graphFile: String

    @Flag(help: "Run on the CPU reference interpreter.")
    var reference = false

    @Option(help: "Seed for the random inputs.")
    var seed: UInt64 = 0

    @Option(help: "Symbol sizes, e.g. T=4,P=0,C=16.")
    var bind: String?

    func run() throws {
        let g = try GraphFiles.load(graphFile)
        guard reference else {
            throw CLIError("only --reference is available in this build")
        }
        var r = try RandomFeeds(graph: g, bindings: try GraphFiles.bindings(bind), seed: seed)
        let start = Date()
        let out = try ReferenceInterpreter(graph: g).run(feeds: r.feeds, state: &r.state, bindings: r.bindings)
        let ms = Date().timeIntervalSince(start) * 1000
        print("device: reference interpreter (CPU, float32)")
        print("bindings: " + r.bindings.keys.sorted().map { "\($0)=\(r.bindings[$0]!)" }.joined(separator: " "))
        for name in g.outputs {
            let t = out[name]!
            let c = t.checksum
            print("%\(name): \(t.dtype.rawValue)\(t.shape) sum=\(String(format: "%.6g", c.sum)) abs_sum=\(String(format: "%.6g", c.absSum))")
        }
        print(String(format: "time: %.1f ms", ms))
    }
}
