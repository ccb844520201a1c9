import Foundation
import SluiceGraph

/// A named graph transformation. `run` returns how many changes it made.
public struct Pass: Sendable {
    public var name: String
    public var summary: String
    public var run: @Sendable (inout Graph) throws -> Int

    public init(name: String, summary: String, run: @escaping @Sendable (inout Graph) throws -> Int) {
        self.name = name; self.summary = summary; self.run = run
    }
}

/// One pass's effect, for `dump --all-passes` and `--stats`.
public struct PassRecord: Sendable {
    public var pass: String
    public var changes: Int
    public var nodesBefore: Int
    public var nodesAfter: Int
    public var graph: Graph
}

public enum PassError: Error, CustomStringConvertible {
    case unknownPass(String, [String])
    case noConvergence(String, Int)
    case broke(String, String)

    public var description: String {
        switch self {
        case .unknownPass(let n, let known): return "unknown pass '\(n)' (passes: \(known.joined(separator: ", ")))"
        case .noConvergence(let n, let k): return "pass \(n) did not reach a fixed point after \(k) rewrites"
        case .broke(let n, let m): return "pass \(n) produced an invalid graph: \(m)"
        }
    }
}

/// Runs passes in order and verifies the graph after each.
public struct PassManager: Sendable {
    public var passes: [Pass]
    public var registry: OpRegistry

    public init(passes: [Pass], registry: OpRegistry = .shared) {
        self.passes = passes
        self.registry = registry
    }

    /// The standard pipeline: cleanup, then the fusions, then cleanup again.
    public static var standard: PassManager {
        FusedOps.register()
        return PassManager(passes: Passes.cleanup + Passes.fusions + [Passes.deadCode])
    }

    /// The standard pipeline for a CPU driver (lavapipe): without the norm prologues, which
    /// trade barriers (cheap there) for extra loads in the matrix kernels' inner loop, and
    /// without split attention (two CPU cores gain nothing from more workgroups).
    public static var standardForCPU: PassManager {
        var pm = standard
        pm.passes.removeAll { $0.name == "fuse-norm-prologue" || $0.name == "split-attention" }
        return pm
    }

    /// Cleanup only (`--no-fuse`).
    public static var cleanupOnly: PassManager { PassManager(passes: Passes.cleanup) }

    /// Every pass by name.
    public static var catalogue: [String: Pass] {
        FusedOps.register()
        return Dictionary((Passes.cleanup + Passes.fusions + [HalfCache.pass]).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The pipeline the command-line options ask for: `--passes a,b,c` replaces it,
    /// `--disable-pass` removes passes, `--no-fuse` keeps cleanup only.
    public static func configured(passes: String?, disabled: [String], noFuse: Bool, cpu: Bool = false) throws -> PassManager {
        let all = catalogue
        var pm: PassManager
        if let list = passes {
            pm = PassManager(passes: try list.split(separator: ",").map { name in
                let n = name.trimmingCharacters(in: .whitespaces)
                guard let p = all[n] else { throw PassError.unknownPass(n, all.keys.sorted()) }
                return p
            })
        } else {
            pm = noFuse ? .cleanupOnly : (cpu ? .standardForCPU : .standard)
        }
        for d in disabled where all[d] == nil { throw PassError.unknownPass(d, all.keys.sorted()) }
        pm.passes.removeAll { disabled.contains($0.name) }
        return pm
    }

    /// Runs the pipeline; `records` gets every stage (for dumps).
    public func run(_ graph: Graph, records: ((PassRecord) -> Void)? = nil) throws -> Graph {
        var g = graph
        for p in passes {
            let before = g.nodes.count
            let changes = try p.run(&g)
            do { try Verifier.verify(g, registry: registry) } catch { throw PassError.broke(p.name, "\(error)") }
            records?(PassRecord(pass: p.name, changes: changes, nodesBefore: before, nodesAfter: g.nodes.count, graph: g))
        }
        return g
    }
}
