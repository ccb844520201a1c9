import ArgumentParser
import Foundation
import SluiceBackend
import SluiceGraph
import Sluice

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a graph on random inputs and print each output's shape and checksum.",
        discussion: """
        Inputs, weights and state are random but deterministic for a --seed. Symbols take
        T=5, P=0, C=16 unless --bind says otherwise. By default the graph runs on Vulkan;
        --reference runs the CPU reference interpreter instead, and --check runs both and
        compares every output against the tolerance its operators state (exit code 1 on a
        failure). --check is how a pass author checks a new kernel.
        """)

    @Argument(help: "A graph in the text format (see docs/OPS.md).")
    var graphFile: String

    @Flag(help: "Run on the CPU reference interpreter only.")
    var reference = false

    @Flag(help: "Run on Vulkan and on the reference interpreter and compare.")
    var check = false

    @Flag(help: "Print GPU time per operator.")
    var profile = false

    @Option(help: "Seed for the random inputs.")
    var seed: UInt64 = 0

    @Option(help: "Symbol sizes, e.g. T=4,P=0,C=16.")
    var bind: String?

    @Option(help: "Run this many times on Vulkan and report the mean time per run.")
    var repeats: Int = 1

    @OptionGroup var deviceOptions: DeviceOptions

    func run() throws {
        let g = try GraphFiles.load(graphFile)
        var r = try RandomFeeds(graph: g, bindings: try GraphFiles.bindings(bind), seed: seed)
        print("bindings: " + r.bindings.keys.sorted().map { "\($0)=\(r.bindings[$0]!)" }.joined(separator: " "))
        if reference {
            let start = Date()
            let out = try ReferenceInterpreter(graph: g).run(feeds: r.feeds, state: &r.state, bindings: r.bindings)
            printErr("device: reference interpreter (CPU, float32)")
            report(g, out, ms: Date().timeIntervalSince(start) * 1000)
            return
        }
        let device = try deviceOptions.open()
        if check {
            let results = try CrossCheck.run(device: device, graph: g, feeds: r.feeds, state: r.state, bindings: r.bindings)
            var ok = true
            for res in results {
                print("%\(res.output): max relative error \(String(format: "%.3g", res.error)) (tolerance \(String(format: "%.3g", res.tolerance))) \(res.passed ? "PASS" : "FAIL")")
                ok = ok && res.passed
            }
            if !ok { throw ExitCode(1) }
            return
        }
        let weights = r.feeds.filter { n, _ in g.params.contains { $0.name == n && $0.kind == .weight } }
        let inputs = r.feeds.filter { n, _ in g.params.contains { $0.name == n && $0.kind == .input } }
        let exec = try VulkanExecutor(device: device, graph: g, bindings: r.bindings, weights: weights, profile: profile)
        for (n, t) in r.state { try exec.setState(n, t) }
        var out = try exec.run(inputs: inputs, bindings: ["P": r.bindings["P"] ?? 0])
        let start = Date()
        for _ in 0..<max(repeats, 1) { out = try exec.run(inputs: inputs, bindings: ["P": r.bindings["P"] ?? 0]) }
        report(g, out, ms: Date().timeIntervalSince(start) * 1000 / Double(max(repeats, 1)))
        print("dispatches: \(exec.dispatches.count), barriers: \(exec.barrierCount), arena: \(exec.plan.arenaBytes) bytes (naive \(exec.plan.naiveBytes))")
        if let table = exec.profileTable() { printProfile(table) }
        if let t = exec.persistentStageTable(), !t.isEmpty { printStageProfile(t) }
    }

    func report(_ g: Graph, _ out: [String: HostTensor], ms: Double) {
        for name in g.outputs {
            let t = out[name]!
            let c = t.checksum
            print("%\(name): \(t.dtype.rawValue)\(t.shape) sum=\(String(format: "%.6g", c.sum)) abs_sum=\(String(format: "%.6g", c.absSum))")
        }
        print(String(format: "time: %.1f ms", ms))
    }
}

func printProfile(_ table: [(op: String, dispatches: Int, milliseconds: Double)]) {
    let total = table.reduce(0) { $0 + $1.milliseconds }
    print("operator          dispatches   GPU ms      share")
    for row in table {
        print(row.op.padding(toLength: 18, withPad: " ", startingAt: 0)
              + String(format: "%10d %9.3f %9.1f%%", row.dispatches, row.milliseconds, total > 0 ? 100 * row.milliseconds / total : 0))
    }
    print(String(format: "total             %10d %9.3f", table.reduce(0) { $0 + $1.dispatches }, total))
}

extension VulkanRunner {
    /// The --profile tables of every stage that ran.
    func printProfiles() {
        for stage in GraphStage.allCases {
            if let e = executors[stage], let t = e.profileTable(), !t.isEmpty {
                let modes = e.persistentModes.map { "persistent kernel in \($0.stages) stages, \($0.dataflow ? "dataflow" : "grid barriers")" }
                print("\n\(stage.rawValue) (\(e.dispatches.count) dispatches, \(e.barrierCount) barriers per run"
                      + modes.map { "; " + $0 }.joined() + "):")
                printProfile(t)
                if let d = e.profileDetailTable(), d.count > 1 {
                    let total = d.reduce(0) { $0 + $1.milliseconds }
                    print("\nby kernel and shape (K×N for matrix kernels; µs per dispatch):")
                    for row in d.prefix(16) {
                        print(row.op.padding(toLength: 44, withPad: " ", startingAt: 0)
                              + String(format: "%7d %9.2f %6.1f%%", row.dispatches, 1000 * row.milliseconds / Double(max(row.dispatches, 1)),
                                       total > 0 ? 100 * row.milliseconds / total : 0))
                    }
                }
            }
            if let e = executors[stage], let t = e.persistentStageTable(), !t.isEmpty {
                printStageProfile(t)
            }
        }
    }
}

/// Inside the persistent kernel: per stretch between grid barriers (device clock).
func printStageProfile(_ table: [PersistentStageProfile]) {
    print("\npersistent kernel, per stretch between grid barriers (µs, device clock, \(table.first?.runs ?? 0) runs):")
    print("per run   work  slowest   staged  barrier     path  handoff  stages")
    func f(_ v: Double?) -> String { v.map { String(format: "%8.2f", $0) } ?? "       -" }
    for row in table {
        print(String(format: "%7d", row.perRun) + f(row.workMicros) + " " + f(row.slowestMicros) + " " + f(row.stagedMicros)
              + " " + f(row.barrierMicros) + " " + f(row.pathMicros) + " " + f(row.handoffMicros) + "  " + row.stages)
    }
    let work = table.reduce(0.0) { $0 + Double($1.perRun) * $1.slowestMicros }
    let barrier = table.reduce(0.0) { $0 + Double($1.perRun) * ($1.barrierMicros ?? 0) }
    if table.allSatisfy({ $0.barrierMicros == nil }) {
        print("dataflow mode: no grid barriers; a stretch's times include waiting for its inputs, and stretches overlap")
        print(String(format: "path: from the stretch before finishing to this one finishing (%.1f µs per run in all); handoff: of it, until the last input row is staged (attention: the last unit's inputs are in)",
                     table.reduce(0.0) { $0 + Double($1.perRun) * $1.pathMicros }))
    } else {
        print(String(format: "per run: %.1f µs to the slowest workgroup's arrivals, %.1f µs from last arrivals to the next starts", work, barrier))
    }
}
