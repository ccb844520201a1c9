import XCTest
import SluiceGraph
@testable import SluicePasses

/// Gemma 3's per-head query norm before RoPE: the fusion fires, keeps the reference's values,
/// and leaves alone a norm whose output is used elsewhere or whose heads are not RoPE's.
final class HeadNormRopeTests: XCTestCase {
    func graph(heads: Int = 3, reshapeTo: Int = 3, extraUse: Bool = false, mode: String = "half") -> String {
        """
        graph @qn(%x: f32[T,24], %w: weight f32[8]) {
          %h = reshape(%x) {shape = [-1, \(reshapeTo), \(24 / reshapeTo)]} : f32[T,\(reshapeTo),\(24 / reshapeTo)]
          %n = rms_norm(%h, %w) {eps = 1e-06} : f32[T,\(reshapeTo),\(24 / reshapeTo)]
          %r = reshape(%n) {shape = [-1, 24]} : f32[T,24]
          %y = rope(%r) {base = 10000.0, dims = 0, head_dim = 8, heads = \(heads), mode = "\(mode)"} : f32[T,24]
        \(extraUse ? "  %z = add(%y, %r) : f32[T,24]\n  return %z" : "  return %y")
        }
        """
    }

    func testFiresAndKeepsSemantics() throws {
        FusedOps.register()
        for mode in ["half", "interleaved"] {
            let opt = try checkSemantics(try GraphParser.parse(graph(mode: mode)), PassManager(passes: [HeadNormRope.pass]))
            XCTAssertEqual(opt.opCounts["rms_rope"], 1, mode)
            XCTAssertNil(opt.opCounts["rms_norm"], mode)
            XCTAssertNil(opt.opCounts["reshape"], mode)
        }
    }

    func testLeavesOtherShapesAlone() throws {
        FusedOps.register()
        // The normalized rows are used again: nothing fuses.
        let used = try PassManager(passes: [HeadNormRope.pass]).run(try GraphParser.parse(graph(extraUse: true)))
        XCTAssertNil(used.opCounts["rms_rope"])
        // A norm over 12-value groups, not RoPE's 8-value heads (the weight is [12] then).
        let other = try GraphParser.parse(graph(reshapeTo: 2).replacingOccurrences(of: "weight f32[8]", with: "weight f32[12]"))
        XCTAssertNil(try PassManager(passes: [HeadNormRope.pass]).run(other).opCounts["rms_rope"])
    }
}
