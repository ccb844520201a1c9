import XCTest
import SluiceGraph
@testable import SluicePasses

/// The worked example's test (README.md § "Writing a fusion pass"): the fusion fires on a
/// Gemma-style MLP, keeps its semantics, and leaves alone a gate whose GELU is used twice.
final class GeGLUFusionTests: XCTestCase {
    let mlp = """
    graph @geglu(%x: f32[T,64], %wg: weight q8_0[96,64], %wu: weight q8_0[96,64]) {
      %g = matmul(%x, %wg) : f32[T,96]
      %u = matmul(%x, %wu) : f32[T,96]
      %a = gelu(%g) {approx = "tanh"} : f32[T,96]
      %y = mul(%a, %u) : f32[T,96]
      return %y
    }
    """

    func testFiresAndKeepsSemantics() throws {
        FusedOps.register()
        let g = try GraphParser.parse(mlp)
        let opt = try checkSemantics(g, PassManager(passes: [GeGLU.pass]), bindings: ["T": 3])
        XCTAssertEqual(opt.opCounts["matmul_geglu"], 1)
        XCTAssertNil(opt.opCounts["gelu"])
    }

    func testDoesNotFireWhenTheActivationIsUsedTwice() throws {
        FusedOps.register()
        let g = try GraphParser.parse(mlp.replacingOccurrences(of: "  return %y", with: "  %z = add(%y, %a) : f32[T,96]\n  return %z"))
        let opt = try PassManager(passes: [GeGLU.pass]).run(g)
        XCTAssertNil(opt.opCounts["matmul_geglu"])
    }
}
