import Foundation
import XCTest
import SluiceGraph
@testable import SluicePasses

/// The planner never lets two live values overlap: checked by construction on random
/// graphs, and by running the reference interpreter with every value stored in one
/// simulated arena at its planned offset — any overlap would corrupt the outputs.
final class MemoryPlannerTests: XCTestCase {
    static let graphsDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("graphs")

    /// Random DAGs with fan-out, long-lived values and in-place candidates.
    func randomGraph(_ seed: UInt64) throws -> Graph {
        var rng = SplitMix64(seed: seed)
        var b = GraphBuilder(name: "r\(seed)")
        let d = [8, 32, 64][Int(rng.next() % 3)]
        var live = [b.param("x", TensorType(.f32, Shape.of("T", d)))]
        let w = b.param("w", TensorType(.f32, Shape.of(d)), kind: .weight)
        let m = b.param("m", TensorType(d % 32 == 0 ? .q8_0 : .f32, Shape.of(d, d)), kind: .weight)
        let wide = b.param("wide", TensorType(.f32, Shape.of(2 * d, d)), kind: .weight)
        for _ in 0..<(Int(rng.next() % 14) + 3) {
            let a = live[Int(rng.next() % UInt64(live.count))]
            let c = live[Int(rng.next() % UInt64(live.count))]
            let ta = b.type(of: a)!, tc = b.type(of: c)!
            let out: String
            switch rng.next() % 8 {
            case 0 where ta == tc: out = try b.op("add", [a, c])
            case 1: out = try b.op("silu", [a])
            case 2 where ta.shape.last == .fixed(d): out = try b.op("rms_norm", [a, w], ["eps": .float(1e-5)])
            case 3 where ta.shape.last == .fixed(d): out = try b.op("matmul", [a, m])
            case 4 where ta.shape.last == .fixed(d): out = try b.op("matmul", [a, wide])
            case 5: out = try b.op("scale", [a], ["value": .float(0.5)])
            case 6: out = try b.op("softmax", [a])
            default: out = try b.op("mul", [a, a])
            }
            live.append(out)
        }
        b.output(live.last!)
        if live.count > 4, rng.next() % 2 == 0 { b.output(live[live.count / 2]) }
        var g = b.graph
        g.outputs = Array(NSOrderedSet(array: g.outputs)) as! [String]
        return g
    }

    func checkNoLiveOverlap(_ g: Graph, _ plan: MemoryPlan, file: StaticString = #filePath, line: UInt = #line) {
        // Values that legitimately share storage: views, cache updates and in-place reuse.
        var same: [String: String] = [:]
        func root(_ x: String) -> String { var r = x; while let p = same[r] { r = p }; return r }
        for n in g.nodes {
            let def = OpRegistry.shared[n.op]!
            for (o, v) in n.outputs.enumerated() {
                switch def.storage(ofOutput: o) {
                case .view(let i), .update(let i): same[v.name] = n.inputs[i]
                case .inPlace: if let x = plan.inPlace[v.name] { same[v.name] = x }
                case .fresh: break
                }
            }
        }
        let names = plan.locations.keys.filter { plan.locations[$0]!.root == .arena }.sorted()
        for (i, a) in names.enumerated() {
            for b in names[(i + 1)...] where root(a) != root(b) {
                let la = plan.lifetimes[a]!, lb = plan.lifetimes[b]!
                if la.overlaps(lb) {
                    XCTAssertFalse(plan.locations[a]!.overlaps(plan.locations[b]!),
                                   "%\(a) \(la) and %\(b) \(lb) overlap in memory", file: file, line: line)
                }
            }
            XCTAssertEqual(plan.locations[a]!.offset % plan.alignment, 0, file: file, line: line)
            XCTAssertLessThanOrEqual(plan.locations[a]!.offset + plan.locations[a]!.size, plan.arenaBytes, file: file, line: line)
        }
    }

    /// The reference interpreter with every arena value stored in one byte array.
    func runInArena(_ g: Graph, _ plan: MemoryPlan, feeds: [String: HostTensor], state: [String: HostTensor],
                    bindings: Bindings) throws -> [String: HostTensor] {
        var arena = [UInt8](repeating: 0xFF, count: plan.arenaBytes)
        var params = feeds.merging(state) { a, _ in a }
        let values = g.values
        func read(_ name: String) throws -> HostTensor {
            let loc = plan.locations[name]!
            let v = values[name]!
            let dims = v.type.resolve(bindings)!
            guard case .arena = loc.root else {
                guard case .param(let p) = loc.root, var t = params[p] else { throw GraphError.run("no %\(name)") }
                t.shape = dims
                return t
            }
            let n = v.type.byteCount(bindings)!
            let bytes = Array(arena[loc.offset ..< loc.offset + n])
            if v.type.dtype == .i32 { return HostTensor(i32: bytes.withUnsafeBytes { Array($0.bindMemory(to: Int32.self)) }, shape: dims) }
            return HostTensor(f32: bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }, shape: dims)
        }
        for node in g.nodes {
            let def = OpRegistry.shared[node.op]!
            let inputs = try node.inputs.map(read)
            let attrs = try def.resolveAttributes(node.attributes, node: node)
            let outs = try def.reference(ReferenceContext(node: node, inputs: inputs, attributes: attrs, bindings: bindings))
            for (v, t) in zip(node.outputs, outs) {
                let loc = plan.locations[v.name]!
                switch loc.root {
                case .arena:
                    let bytes: [UInt8] = t.dtype == DType.i32 ? t.ints().withUnsafeBytes { Array($0) } : t.floats().withUnsafeBytes { Array($0) }
                    arena.replaceSubrange(loc.offset ..< loc.offset + bytes.count, with: bytes)
                case .param(let p): params[p] = t
                }
            }
        }
        var out: [String: HostTensor] = [:]
        for o in g.outputs { out[o] = try read(o) }
        return out
    }

    func testRandomGraphsNeverOverlapLiveValues() throws {
        var reused = 0, inPlace = 0
        for seed in 0..<150 {
            let g = Scheduler.levelOrder(try randomGraph(UInt64(seed)))
            try Verifier.verify(g)
            let bindings: Bindings = ["T": 3]
            let plan = try MemoryPlanner.plan(g, bindings: bindings, alignment: 64)
            checkNoLiveOverlap(g, plan)
            XCTAssertLessThanOrEqual(plan.arenaBytes, plan.naiveBytes)
            if plan.arenaBytes < plan.naiveBytes { reused += 1 }
            inPlace += plan.inPlace.count
            let r = try RandomFeeds(graph: g, bindings: bindings, seed: UInt64(seed))
            var st = r.state
            let want = try ReferenceInterpreter(graph: g).run(feeds: r.feeds, state: &st, bindings: r.bindings)
            let got = try runInArena(g, plan, feeds: r.feeds, state: r.state, bindings: r.bindings)
            for o in g.outputs { XCTAssertEqual(got[o]!.floats(), want[o]!.floats(), "seed \(seed) %\(o)") }
        }
        XCTAssertGreaterThan(reused, 50, "the planner should reuse memory on most random graphs")
        XCTAssertGreaterThan(inPlace, 20, "in-place reuse should happen")
    }

    func testLlamaBlockPlan() throws {
        let text = try String(contentsOf: Self.graphsDir.appendingPathComponent("llama_block.graph"), encoding: .utf8)
        let g = Scheduler.levelOrder(try GraphParser.parse(text))
        let bindings: Bindings = ["T": 4, "C": 8, "P": 2]
        let plan = try MemoryPlanner.plan(g, bindings: bindings)
        checkNoLiveOverlap(g, plan)
        XCTAssertLessThan(plan.arenaBytes, plan.naiveBytes)
        // The cache writes live in the state buffers, not the arena.
        XCTAssertEqual(plan.locations["kc"]?.root, .param("k_cache"))
        let r = try RandomFeeds(graph: g, bindings: bindings, seed: 9)
        var st = r.state
        let want = try ReferenceInterpreter(graph: g).run(feeds: r.feeds, state: &st, bindings: r.bindings)
        let got = try runInArena(g, plan, feeds: r.feeds, state: r.state, bindings: r.bindings)
        XCTAssertEqual(got["y"]!.floats(), want["y"]!.floats())
    }

    func testBarriersOnlyOnHazards() {
        func loc(_ o: Int, _ s: Int) -> MemoryPlan.Location { .init(root: .arena, offset: o, size: s) }
        let a = loc(0, 16), b = loc(16, 16), c = loc(32, 16)
        let accesses = [
            Scheduler.Access(reads: [], writes: [a]),          // write a
            Scheduler.Access(reads: [], writes: [b]),          // independent: no barrier
            Scheduler.Access(reads: [a], writes: [c]),         // reads a: RAW → barrier
            Scheduler.Access(reads: [b], writes: [loc(48, 8)]),// b was written before the last barrier: none
            Scheduler.Access(reads: [], writes: [a]),          // a was read since the barrier: WAR → barrier
            Scheduler.Access(reads: [], writes: [a]),          // WAW → barrier
        ]
        XCTAssertEqual(Scheduler.barriers(accesses), [false, false, true, false, true, true])
    }
}
