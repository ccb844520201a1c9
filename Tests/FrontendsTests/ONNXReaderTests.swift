import Foundation
import XCTest
@testable import SluiceFrontends
import SluiceGraph

/// The ONNX reader (libprotobuf-c) on files written by the `onnx` package
/// (scripts/make_onnx_bad_fixtures.py, Fixtures/onnx_bad) and on damaged copies of them.
final class ONNXReaderTests: XCTestCase {
    static let dir = TestSupport.fixtures.appendingPathComponent("onnx_bad")
    static let expected: [Float] = (0..<6).map { Float($0) / 4 }

    func testInlineAndExternalData() throws {
        for name in ["good_inline.onnx", "good_external.onnx"] {
            let m = try ONNXModel(path: Self.dir.appendingPathComponent(name).path)
            XCTAssertEqual(m.opsets[""], 18)
            XCTAssertEqual(m.nodes.map(\.opType), ["Add"])
            XCTAssertEqual(m.inputs.first?.dims, [.value(2), .value(3)])
            let w = try XCTUnwrap(m.initializers["w"])
            XCTAssertEqual(w.dims, [2, 3])
            XCTAssertEqual(w.floats(), Self.expected, name)
        }
    }

    func testBadExternalDataIsRefused() throws {
        let cases = [("dotdot", "not a relative path inside"), ("absolute", "not a relative path inside"),
                     ("missing_file", "cannot be opened"), ("offset_past_end", "is outside"), ("wrong_length", "length 20")]
        for (name, expected) in cases {
            let path = Self.dir.appendingPathComponent("bad_\(name).onnx").path
            XCTAssertThrowsError(try ONNXModel(path: path), name) { error in
                XCTAssertTrue("\(error)".contains(path) && "\(error)".contains("tensor 'w'") && "\(error)".contains(expected), "\(name): \(error)")
            }
        }
    }

    /// Every truncation of a real export and a few corrupted bytes give an error, never a crash.
    func testTruncatedAndCorruptFiles() throws {
        let good = try Data(contentsOf: Self.dir.appendingPathComponent("good_inline.onnx"))
        for cut in stride(from: 1, to: good.count, by: 3) {
            let path = try TestSupport.writeTemp(Array(good.prefix(cut)), name: "cut.onnx")
            do { _ = try ONNXModel(path: path) } catch { XCTAssertTrue("\(error)".contains(path), "\(error)") }
        }
        var bytes = Array(good)
        bytes[0] = 0xFF; bytes[1] = 0xFF
        let path = try TestSupport.writeTemp(bytes, name: "corrupt.onnx")
        XCTAssertThrowsError(try ONNXModel(path: path)) { XCTAssertTrue("\($0)".contains("not a valid ONNX protobuf"), "\($0)") }
        XCTAssertThrowsError(try ONNXModel(path: TestSupport.writeTemp([], name: "empty.onnx")))
    }

    /// `dump --format onnx` output reads back: nodes, domains, attributes, symbolic dims.
    func testExportReadsBack() throws {
        var b = GraphBuilder(name: "g")
        let x = b.param("x", TensorType(.f32, [.symbol("T"), .fixed(8)]))
        let w = b.param("w", TensorType(.q8_0, [.fixed(4), .fixed(32)]), kind: .weight)
        let y = try b.op("rms_norm", [x, b.param("g", TensorType(.f32, [.fixed(8)]), kind: .weight)], ["eps": .float(1e-5)], name: "y")
        b.output(y)
        _ = w
        let path = try TestSupport.writeTemp(ONNXExport.model(b.graph), name: "export.onnx")
        let m = try ONNXModel(path: path)
        XCTAssertEqual(m.nodes.map(\.opType), ["rms_norm"])
        XCTAssertEqual(m.nodes[0].domain, ONNXExport.domain)
        XCTAssertEqual(m.nodes[0].float("eps"), 1e-5)
        XCTAssertEqual(m.inputs.map(\.name), ["x", "w", "g"])
        XCTAssertEqual(m.inputs[0].dims, [.param("T"), .value(8)])
        XCTAssertEqual(m.inputs[1].dims, [.value(4), .value(34)])  // one Q8_0 block of 34 bytes per row
        XCTAssertEqual(m.outputs.map(\.name), ["y"])
    }
}

/// The importer refuses what it cannot raise, naming the node, the operator and the opset.
final class ONNXImporterErrorTests: XCTestCase {
    func importError(_ file: String) -> String {
        let path = ONNXReaderTests.dir.appendingPathComponent(file).path
        do { _ = try ONNXImporter(model: try ONNXModel(path: path)); return "no error" } catch { return "\(error)" }
    }

    func testUnsupportedOperatorIsNamed() {
        let e = importError("bad_op.onnx")
        for part in ["bad_op.onnx", "odd_einsum", "Einsum", "opset 18", "supported:", "MatMul", "Softmax"] {
            XCTAssertTrue(e.contains(part), "missing '\(part)' in: \(e)")
        }
    }

    func testUnknownFormulaIsNamed() {
        let e = importError("bad_norm.onnx")
        XCTAssertTrue(e.contains("odd_norm") && e.contains("neither RMSNorm nor LayerNorm"), e)
    }

    func testHugeConstantIsRefusedWithoutAllocating() {
        let e = importError("bad_huge.onnx")
        XCTAssertTrue(e.contains("huge_expand") && e.contains("too large to fold"), e)
    }

    func testNonLanguageModelIsRefused() {
        XCTAssertTrue(importError("good_inline.onnx").contains("input 'x'"), importError("good_inline.onnx"))
    }
}
