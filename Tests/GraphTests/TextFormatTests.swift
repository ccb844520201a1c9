import Foundation
import XCTest
@testable import SluiceGraph

/// The text format round-trips exactly: parse(print(g)) == g, for the hand-written graphs
/// and for random graphs; parse errors carry line and column.
final class TextFormatTests: XCTestCase {
    static let graphsDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("graphs")

    func testHandWrittenGraphsParseVerifyAndRoundTrip() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.graphsDir.path).filter { $0.hasSuffix(".graph") }
        XCTAssertTrue(files.contains("llama_block.graph"))
        XCTAssertTrue(files.contains("gpt2_block.graph"))
        for f in files {
            let text = try String(contentsOf: Self.graphsDir.appendingPathComponent(f), encoding: .utf8)
            let g = try GraphParser.parse(text)
            try Verifier.verify(g)
            let printed = GraphPrinter.print(g)
            XCTAssertEqual(try GraphParser.parse(printed), g, f)
            XCTAssertEqual(GraphPrinter.print(try GraphParser.parse(printed)), printed, f)
        }
    }

    func testRandomGraphsRoundTrip() throws {
        var rng = SplitMix64(seed: 7)
        for i in 0..<200 {
            let g = try RandomGraphs.make(seed: UInt64(i), rng: &rng)
            try Verifier.verify(g)
            let text = GraphPrinter.print(g)
            XCTAssertEqual(try GraphParser.parse(text), g, text)
        }
    }

    func testFloatAttributesSurviveExactly() throws {
        for v in [1e-5, 1e-6, 0.125, 10000.0, 1.0 / 3.0, 5e-324, 1.7976931348623157e308, -2.5e-17] {
            let text = "graph @g(%x: f32[T,4]) {\n  %y = scale(%x) {value = \(Attribute.format(v))} : f32[T,4]\n  return %y\n}\n"
            let g = try GraphParser.parse(text)
            XCTAssertEqual(g.nodes[0].attributes["value"], .float(v))
            XCTAssertEqual(GraphPrinter.print(g), text)
        }
    }

    func testStringEscapesRoundTrip() throws {
        var b = GraphBuilder(name: "s")
        let x = b.param("x", TensorType(.f32, Shape.of("T", 8)))
        let y = try b.op("gelu", [x], ["approx": .string("erf")])
        b.output(y)
        var g = b.graph
        g.nodes[0].attributes["approx"] = .string("a\"b\\c\nd")
        XCTAssertEqual(try GraphParser.parse(GraphPrinter.print(g)), g)
    }

    func testParseErrorsGiveLineAndColumn() {
        let cases: [(String, Int, Int, String)] = [
            ("graph @g(%x: f32[T,4]) {\n  %y = scale(%x) {value = 2.0} f32[T,4]\n  return %y\n}", 2, 32, "expected ':'"),
            ("graph @g(%x: f33[T,4]) {\n  return %x\n}", 1, 14, "unknown dtype 'f33'"),
            ("graph @g(%x: f32[T,4]) {\n  %y = scale(%x) {value = \"abc} : f32[T,4]\n}", 2, 27, "unterminated string"),
            ("graph @g(%x: f32[T,4]) {\n  %y = scale(%x) {value = 1.0, value = 2.0} : f32[T,4]\n  return %y\n}", 2, 32, "given twice"),
            ("graph @g(%x: f32[T,4]) {\n  return %x\n}\nextra", 4, 1, "after the graph"),
            ("graph @g(%x: f32[T,4]) {\n  %y = scale(%x) : f32[T,4], f32[T,4]\n  return %y\n}", 2, 20, "1 outputs but 2 types"),
        ]
        for (text, line, col, msg) in cases {
            XCTAssertThrowsError(try GraphParser.parse(text)) { e in
                guard case .parse(let l, let c, let m) = e as? GraphError else { return XCTFail("\(e)") }
                XCTAssertEqual(l, line, m); XCTAssertEqual(c, col, m)
                XCTAssertTrue(m.contains(msg), m)
            }
        }
    }

    func testDotAndJSONExports() throws {
        let text = try String(contentsOf: Self.graphsDir.appendingPathComponent("llama_block.graph"), encoding: .utf8)
        let g = try GraphParser.parse(text)
        let dot = GraphExport.dot(g)
        XCTAssertTrue(dot.hasPrefix("digraph \"llama_block\" {"))
        XCTAssertEqual(dot.components(separatedBy: "shape=box").count - 1, g.nodes.count)
        let json = try JSONSerialization.jsonObject(with: Data(GraphExport.json(g).utf8)) as! [String: Any]
        XCTAssertEqual((json["nodes"] as! [Any]).count, g.nodes.count)
        XCTAssertEqual(json["outputs"] as! [String], ["y"])
    }
}

/// Random well-typed graphs for round-trip and pass tests.
enum RandomGraphs {
    static func make(seed: UInt64, rng: inout SplitMix64) throws -> Graph {
        var b = GraphBuilder(name: "rand\(seed)")
        let d = [4, 8, 32, 64][Int(rng.next() % 4)]
        let rows: Dim = rng.next() % 2 == 0 ? .symbol("T") : .fixed(Int(rng.next() % 5) + 1)
        var live = [b.param("x", TensorType(.f32, [rows, .fixed(d)]))]
        let w = b.param("w", TensorType(.f32, [.fixed(d)]), kind: .weight)
        let wdt: DType = [.f32, .f16, .bf16, .q4_0, .q4_1, .q8_0][Int(rng.next() % 6)]
        let mat = b.param("m", TensorType(d % wdt.blockSize == 0 ? wdt : .f32, [.fixed(d), .fixed(d)]), kind: .weight)
        for _ in 0..<(Int(rng.next() % 8) + 1) {
            let a = live[Int(rng.next() % UInt64(live.count))]
            let c = live[Int(rng.next() % UInt64(live.count))]
            let out: String
            switch rng.next() % 9 {
            case 0: out = try b.op("add", [a, c])
            case 1: out = try b.op("mul", [a, w])
            case 2: out = try b.op("scale", [a], ["value": .float(Double(rng.nextSignedUnit()))])
            case 3: out = try b.op("rms_norm", [a, w], ["eps": .float(1e-6)])
            case 4: out = try b.op("matmul", [a, mat])
            case 5: out = try b.op("silu", [a])
            case 6: out = try b.op("gelu", [a], ["approx": .string(rng.next() % 2 == 0 ? "tanh" : "erf")])
            case 7: out = try b.op("softmax", [a])
            default: out = try b.op("layer_norm", [a, w, w], ["eps": .float(1e-5)])
            }
            live.append(out)
        }
        b.output(live.last!)
        return b.graph
    }
}
