import ArgumentParser
import Foundation
import Sluice

struct DumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print a graph before or after any pass, its memory plan, its dispatch schedule or statistics.",
        discussion: """
        The graph comes from a graph file or from a model (-m, with --stage). By default the
        whole pass pipeline runs first; --after PASS stops after that pass, --all-passes prints
        every stage with a summary of what changed. --plan, --schedule and --stats are computed
        for a typical GPU (subgroups of 32) without opening a device.
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, dot, svg, json, onnx }

    @Argument(help: "A graph in the text format (see docs/OPS.md).")
    var graphFile: String?

    @Option(name: .shortAndLong, help: "Take the graph from this model (.gguf, Hugging Face folder or .onnx).")
    var model: String?

    @Option(help: "Which graph of the model: prefill, decode or score.")
    var stage: GraphStage = .decode

    @Option(help: "Stop after this pass.")
    var after: String?

    @Flag(help: "Print the graph after every pass, with what changed.")
    var allPasses = false

    @Option(help: "Output format: text, dot, svg (needs Graphviz), json, or onnx (binary, for Netron; needs -o; fused ops in the ai.sluice domain).")
    var format: Format = .text

    @Flag(help: "Print the memory plan: value → offset, size, lifetime.")
    var plan = false

    @Flag(help: "Print the dispatch schedule with its barriers.")
    var schedule = false

    @Flag(help: "Print one JSON object: nodes, dispatches, barriers, arena_bytes, naive_bytes, fused.")
    var stats = false

    @Option(help: "Symbol sizes for --plan/--schedule/--stats, e.g. T=1,C=2048 (default T=1 for decode, 256 otherwise; C the model's context).")
    var bind: String?

    @Option(name: .shortAndLong, help: "Write to FILE instead of standard output.")
    var output: String?

    @OptionGroup var passOptions: PassOptions

    func validate() throws {
        if (graphFile == nil) == (model == nil) { throw ValidationError("give a graph file or -m MODEL (one of them)") }
        if after != nil && allPasses { throw ValidationError("--after and --all-passes exclude each other") }
        if format == .onnx && (output == nil || allPasses || plan || schedule || stats) {
            throw ValidationError("--format onnx writes one graph to a file: give -o FILE, without --all-passes/--plan/--schedule/--stats")
        }
    }

    func run() throws {
        FusedOps.register()
        var context = 2048
        let source: Graph
        if let m = model {
            let loaded = try ModelLoader.load(path: m)
            context = loaded.config.contextLength
            source = try loaded.graph(stage)
        } else {
            source = try GraphFiles.load(graphFile!)
        }
        var pm = try passOptions.manager()
        if let a = after {
            guard let i = pm.passes.firstIndex(where: { $0.name == a }) else {
                throw CLIError("--after: '\(a)' is not in the pipeline (\(pm.passes.map(\.name).joined(separator: ", ")))")
            }
            pm.passes = Array(pm.passes.prefix(through: i))
        }
        var records: [PassRecord] = []
        let g = try pm.run(source) { records.append($0) }
        if format == .onnx {
            let bytes = ONNXExport.model(g)
            guard FileManager.default.createFile(atPath: output!, contents: Data(bytes)) else { throw CLIError("cannot write \(output!)") }
            return
        }
        var text = ""
        if allPasses {
            text += "# input: \(source.nodes.count) nodes\n" + (try render(source)) + "\n"
            var prev = source
            for r in records {
                text += "# after \(r.pass): \(r.changes) changes, \(r.nodesBefore) → \(r.nodesAfter) nodes\(diff(prev, r.graph))\n"
                text += try render(r.graph) + "\n"
                prev = r.graph
            }
        } else if !(plan || schedule || stats) {
            text = try render(g)
        }
        if plan || schedule || stats {
            var binds: Bindings = ["T": stage == .decode ? 1 : 256, "C": min(context, 4096), "P": 0]
            binds.merge(try GraphFiles.bindings(bind)) { _, b in b }
            let (sched, mem, disp) = try DispatchPlan.make(g, bindings: binds)
            if plan { text += planText(sched, mem) }
            if schedule { text += scheduleText(disp) }
            if stats { text += statsJSON(sched, mem, disp, records) }
        }
        if format == .svg && !plan && !schedule && !stats {
            let svg = try Graphviz.svg(text)
            try GraphFiles.write(svg, to: output)
        } else {
            try GraphFiles.write(text, to: output)
        }
    }

    func render(_ g: Graph) throws -> String {
        switch format {
        case .text: return GraphPrinter.print(g)
        case .dot, .svg: return GraphExport.dot(g)
        case .json: return GraphExport.json(g)
        case .onnx: return ""
        }
    }

    func diff(_ a: Graph, _ b: Graph) -> String {
        let ca = a.opCounts, cb = b.opCounts
        let changes = Set(ca.keys).union(cb.keys).sorted().compactMap { op -> String? in
            let d = (cb[op] ?? 0) - (ca[op] ?? 0)
            return d == 0 ? nil : "\(op) \(d > 0 ? "+" : "")\(d)"
        }
        return changes.isEmpty ? "" : " (" + changes.joined(separator: ", ") + ")"
    }

    func planText(_ g: Graph, _ p: MemoryPlan) -> String {
        var s = "# memory plan for \(p.bindings.keys.sorted().map { "\($0)=\(p.bindings[$0]!)" }.joined(separator: " ")): arena \(p.arenaBytes) bytes, naive \(p.naiveBytes) bytes\n"
        s += "# value                              where          offset       size  lifetime\n"
        let order = g.params.map(\.name) + g.nodes.flatMap { $0.outputs.map(\.name) }
        for v in order {
            guard let l = p.locations[v], let life = p.lifetimes[v] else { continue }
            let note = p.inPlace[v].map { " (in place of %\($0))" } ?? ""
            s += "%\(v)".padding(toLength: 36, withPad: " ", startingAt: 0) + " " + l.root.description.padding(toLength: 12, withPad: " ", startingAt: 0)
                + String(format: " %10d %10d  %d...%d", l.offset, l.size, life.lowerBound, life.upperBound) + note + "\n"
        }
        return s
    }

    func scheduleText(_ d: DispatchPlan) -> String {
        var s = "# \(d.calls.count) dispatches, \(d.barriers.filter { $0 }.count) barriers\n"
        for (i, c) in d.calls.enumerated() {
            if d.barriers[i] { s += "---- barrier\n" }
            s += String(format: "%4d ", i) + c.kernel.padding(toLength: 28, withPad: " ", startingAt: 0)
                + " grid \(c.grid.x)×\(c.grid.y)  " + c.buffers.enumerated().map { (c.writes.contains($0.offset) ? "→%" : "%") + $0.element }.joined(separator: " ") + "\n"
        }
        return s
    }

    func statsJSON(_ g: Graph, _ p: MemoryPlan, _ d: DispatchPlan, _ records: [PassRecord]) -> String {
        let fusedNames = Set(FusedOps.all.map(\.name))
        var fused: [String: Int] = [:]
        for (op, n) in g.opCounts where fusedNames.contains(op) { fused[op] = n }
        var obj: [String: Any] = [
            "nodes": g.nodes.count, "dispatches": d.calls.count, "barriers": d.barriers.filter { $0 }.count,
            "arena_bytes": p.arenaBytes, "naive_bytes": p.naiveBytes, "fused": fused,
            "passes": records.map { ["pass": $0.pass, "changes": $0.changes] },
        ]
        let layers = g.params.filter { $0.kind == .state && $0.name.hasPrefix("cache.k.") }.count
        if layers > 0 {
            obj["layers"] = layers
            obj["barriers_per_layer"] = Double(d.barriers.filter { $0 }.count) / Double(layers)
        }
        let data = try! JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

extension GraphStage: ExpressibleByArgument {}

/// Rendering DOT to SVG through Graphviz's `dot`, when it is installed.
enum Graphviz {
    static func svg(_ dot: String) throws -> String {
        let candidates = ["/usr/bin/dot", "/usr/local/bin/dot"]
        guard let exe = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw CLIError("--format svg needs Graphviz's `dot`: apt-get install graphviz (or use --format dot)")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = ["-Tsvg"]
        let input = Pipe(), out = Pipe()
        p.standardInput = input
        p.standardOutput = out
        try p.run()
        input.fileHandleForWriting.write(Data(dot.utf8))
        try input.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw CLIError("dot -Tsvg failed with status \(p.terminationStatus)") }
        return String(decoding: data, as: UTF8.self)
    }
}
