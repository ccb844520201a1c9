import XCTest
import SluiceGraph
@testable import SluicePasses

/// Gemma's post-FFN norm before the residual add and the next norm: the fusion fires after
/// add+norm, keeps the reference's values, and leaves alone a post norm used elsewhere.
final class PostNormTests: XCTestCase {
    func graph(extraUse: Bool = false) -> String {
        """
        graph @pn(%x: f32[T,24], %o: f32[T,24], %pw: weight f32[24], %w: weight f32[24]) {
          %p = rms_norm(%o, %pw) {eps = 1e-06} : f32[T,24]
          %s = add(%x, %p) : f32[T,24]
          %y = rms_norm(%s, %w) {eps = 1e-05} : f32[T,24]
        \(extraUse ? "  %z = add(%y, %p) : f32[T,24]\n  return %s, %z" : "  return %s, %y")
        }
        """
    }

    func testFiresAndKeepsSemantics() throws {
        FusedOps.register()
        let pm = PassManager(passes: [Fusions.addNorm, PostNorm.pass])
        let opt = try checkSemantics(try GraphParser.parse(graph()), pm)
        XCTAssertEqual(opt.opCounts["add_post_rms_norm"], 1)
        XCTAssertNil(opt.opCounts["rms_norm"])
        XCTAssertNil(opt.opCounts["add_rms_norm"])
    }

    func testLeavesAReusedPostNormAlone() throws {
        FusedOps.register()
        let opt = try PassManager(passes: [Fusions.addNorm, PostNorm.pass]).run(try GraphParser.parse(graph(extraUse: true)))
        XCTAssertNil(opt.opCounts["add_post_rms_norm"])
    }
}
