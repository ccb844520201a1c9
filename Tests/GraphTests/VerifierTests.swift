import XCTest
@testable import SluiceGraph

/// The verifier rejects malformed graphs with a message naming the node or value at fault.
final class VerifierTests: XCTestCase {
    func check(_ body: String, params: String = "%x: f32[T,8], %w: weight f32[8]", _ expect: [String],
               file: StaticString = #filePath, line: UInt = #line) {
        let text = "graph @bad(\(params)) {\n\(body)\n}\n"
        do {
            let g = try GraphParser.parse(text)
            XCTAssertThrowsError(try Verifier.verify(g), file: file, line: line) { e in
                let m = "\(e)"
                for s in expect { XCTAssertTrue(m.contains(s), "'\(m)' lacks '\(s)'", file: file, line: line) }
            }
        } catch { XCTFail("did not parse: \(error)", file: file, line: line) }
    }

    func testMalformedGraphsAreRejectedNamingTheNode() {
        check("  %y = frobnicate(%x) : f32[T,8]\n  return %y", ["node #0", "%y = frobnicate", "unknown operator"])
        check("  %y = silu(%z) : f32[T,8]\n  return %y", ["node #0 (%y = silu)", "%z is not defined"])
        check("  %y = silu(%x) : f32[T,8]\n  %y = silu(%x) : f32[T,8]\n  return %y", ["node #1", "already defined"])
        check("  %y = silu(%x) : f32[T,9]\n  return %y", ["%y = silu", "declared f32[T,9]", "gives f32[T,8]"])
        check("  %y = rms_norm(%x, %w) : f32[T,8]\n  return %y", ["%y = rms_norm", "missing attribute 'eps'"])
        check("  %y = rms_norm(%x, %w) {eps = -1.0} : f32[T,8]\n  return %y", ["'eps'", "at least 0.0"])
        check("  %y = rms_norm(%x, %w) {eps = \"small\"} : f32[T,8]\n  return %y", ["'eps' must be float"])
        check("  %y = gelu(%x) {approx = \"fast\"} : f32[T,8]\n  return %y", ["one of tanh, erf"])
        check("  %y = silu(%x) {alpha = 1} : f32[T,8]\n  return %y", ["unknown attribute 'alpha'"])
        check("  %y = add(%x) : f32[T,8]\n  return %y", ["takes 2 inputs"])
        check("  %y = silu(%x) : f32[T,8]\n  return %q", ["returned value %q is not defined"])
        check("  %y = matmul(%x, %w) : f32[T,8]\n  return %y", ["%y = matmul", "rank 1"])
        check("  %y = matmul(%x, %m) : f32[T,32]\n  return %y", params: "%x: f32[T,8], %m: weight q4_0[32,8]",
              ["not a multiple of q4_0's block size 32"])
        check("  %y = embedding(%t, %x) : f32[T,8]\n  return %y", params: "%x: f32[T], %t: weight f32[10,8]",
              ["%y = embedding", "ids (input 1) has dtype f32"])
        check("  %c = kv_write(%k, %x) : f32[C,8]\n  return %c", params: "%x: f32[T,8], %k: f32[C,8]",
              ["kv_write must write into a state parameter"])
        check("  %y = attention(%q, %q, %q) {head_dim = 4, heads = 3, kv_heads = 2, scale = 0.5} : f32[T,12]\n  return %y",
              params: "%q: f32[T,12]", ["heads 3 is not a multiple of kv_heads 2"])
        check("  %y = silu(%x) : f32[T,8]\n  return %y, %y", ["returned twice"])
        check("  return %x", params: "%x: f32[T,8], %x: f32[T,8]", ["parameter %x is defined twice"])
    }

    func testBuilderInfersTypesAndVerifies() throws {
        var b = GraphBuilder(name: "ok")
        let x = b.param("x", TensorType(.f32, Shape.of("T", 64)))
        let w = b.param("w", TensorType(.q8_0, Shape.of(16, 64)), kind: .weight)
        let y = try b.op("matmul", [x, w])
        b.output(y)
        XCTAssertEqual(b.type(of: y), TensorType(.f32, Shape.of("T", 16)))
        XCTAssertNoThrow(try Verifier.verify(b.graph))
    }

    func testCustomOpIsOneDefinition() throws {
        let registry = OpRegistry(StandardOps.all)
        registry.register(OpDefinition(
            name: "double_it", inputs: ["x"], summary: "2x",
            inferTypes: { [$0.inputs[0]] },
            reference: { c in [HostTensor(f32: c.inputs[0].floats().map { $0 * 2 }, shape: c.inputs[0].shape)] }))
        let g = try GraphParser.parse("graph @c(%x: f32[T,3]) {\n  %y = double_it(%x) : f32[T,3]\n  return %y\n}")
        XCTAssertThrowsError(try Verifier.verify(g))
        try Verifier.verify(g, registry: registry)
        var st: [String: HostTensor] = [:]
        let out = try ReferenceInterpreter(graph: g, registry: registry)
            .run(feeds: ["x": HostTensor(f32: [1, 2, 3, 4, 5, 6], shape: [2, 3])], state: &st)
        XCTAssertEqual(out["y"]?.floats(), [2, 4, 6, 8, 10, 12])
    }

    func testKVWriteUpdatesStateAcrossRuns() throws {
        let g = try GraphParser.parse("""
        graph @kv(%x: f32[T,2], %c: state f32[C,2]) {
          %c2 = kv_write(%c, %x) : f32[C,2]
          return %c2
        }
        """)
        try Verifier.verify(g)
        var st = ["c": HostTensor(f32: [Float](repeating: 0, count: 8), shape: [4, 2])]
        let i = ReferenceInterpreter(graph: g)
        _ = try i.run(feeds: ["x": HostTensor(f32: [1, 2, 3, 4], shape: [2, 2])], state: &st, bindings: ["P": 0])
        _ = try i.run(feeds: ["x": HostTensor(f32: [5, 6], shape: [1, 2])], state: &st, bindings: ["P": 2])
        XCTAssertEqual(st["c"]?.floats(), [1, 2, 3, 4, 5, 6, 0, 0])
        XCTAssertThrowsError(try i.run(feeds: ["x": HostTensor(f32: [1, 2, 3, 4], shape: [2, 2])], state: &st, bindings: ["P": 3])) { e in
            XCTAssertTrue("\(e)".contains("context full"), "\(e)")
        }
    }
}
