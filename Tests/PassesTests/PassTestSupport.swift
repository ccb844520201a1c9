import XCTest
import SluiceGraph
@testable import SluicePasses

extension XCTestCase {
    /// Runs `g` before and after `pm` on the same random data; returns the optimized graph.
    @discardableResult
    func checkSemantics(_ g: Graph, _ pm: PassManager = .standard, bindings: Bindings = ["T": 3, "P": 2, "C": 8],
                        seed: UInt64 = 1, file: StaticString = #filePath, line: UInt = #line) throws -> Graph {
        let opt = try pm.run(g)
        let r = try RandomFeeds(graph: g, bindings: bindings, seed: seed)
        var s1 = r.state, s2 = r.state
        let want = try ReferenceInterpreter(graph: g).run(feeds: r.feeds, state: &s1, bindings: r.bindings)
        var cache: [String: HostTensor] = [:]
        let weights = r.feeds.filter { n, _ in g.params.contains { $0.name == n && $0.kind == .weight } }
        let (folded, w2) = try WeightFolding.apply(opt, weights: weights, cache: &cache)
        let feeds = w2.merging(r.feeds.filter { n, _ in g.params.contains { $0.name == n && $0.kind == .input } }) { a, _ in a }
        let got = try ReferenceInterpreter(graph: folded).run(feeds: feeds, state: &s2, bindings: r.bindings)
        for o in g.outputs {
            let a = got[o]!.floats(), b = want[o]!.floats()
            let err = zip(a, b).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
            XCTAssertLessThanOrEqual(err, 1e-5, "%\(o) changed by \(err)", file: file, line: line)
        }
        for (k, v) in s1 { XCTAssertEqual(s2[k]!.floats(), v.floats(), "state %\(k) differs", file: file, line: line) }
        return opt
    }

}
