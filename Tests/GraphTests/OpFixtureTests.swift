import Foundation
import XCTest
@testable import SluiceGraph

/// The reference interpreter against independent numbers: every operator case in
/// Fixtures/ops was computed in float64 with numpy (quantized weights dequantized by the
/// `gguf` package) by scripts/make_op_fixtures.py. Each fixture states its tolerance
/// (relative to max(1, |expected|)) and why.
final class OpFixtureTests: XCTestCase {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/ops")

    struct Fixture: Decodable {
        struct Tensor: Decodable { let dtype: String?; let shape: [Int]; let data: [Double]?; let bytes: String? }
        let name: String
        let graph: String
        let bindings: [String: Int]
        let inputs: [String: Tensor]
        let outputs: [String: Tensor]
        let tolerance: Double
        let note: String
    }

    func testEveryOperatorMatchesNumpy() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.dir.path).filter { $0.hasSuffix(".json") }.sorted()
        XCTAssertGreaterThan(files.count, 40, "fixtures missing: run scripts/make_op_fixtures.py")
        var covered = Set<String>()
        for file in files {
            let fx = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: Self.dir.appendingPathComponent(file)))
            let g = try GraphParser.parse(fx.graph)
            try Verifier.verify(g)
            covered.formUnion(g.nodes.map(\.op))
            var feeds: [String: HostTensor] = [:], state: [String: HostTensor] = [:]
            for p in g.params {
                let t = try XCTUnwrap(fx.inputs[p.name], "\(fx.name): no input \(p.name)")
                let host = try Self.tensor(t, p.type.dtype)
                if p.kind == .state { state[p.name] = host } else { feeds[p.name] = host }
            }
            let out = try ReferenceInterpreter(graph: g).run(feeds: feeds, state: &state, bindings: fx.bindings)
            for (name, want) in fx.outputs {
                let got = try XCTUnwrap(out[name], "\(fx.name): no output \(name)")
                XCTAssertEqual(got.shape, want.shape, fx.name)
                let g = got.floats(), w = want.data ?? []
                XCTAssertEqual(g.count, w.count, fx.name)
                var worst = 0.0
                for (a, b) in zip(g, w) { worst = max(worst, abs(Double(a) - b) / max(1, abs(b))) }
                XCTAssertLessThanOrEqual(worst, fx.tolerance, "\(fx.name): max relative error \(worst) > \(fx.tolerance) (\(fx.note))")
            }
        }
        let all = Set(StandardOps.all.map(\.name))
        XCTAssertEqual(all.subtracting(covered), [], "operators without a numpy fixture")
    }

    static func tensor(_ t: Fixture.Tensor, _ declared: DType) throws -> HostTensor {
        let dtype = t.dtype.flatMap(DType.init(rawValue:)) ?? declared
        if let b64 = t.bytes {
            let data = try XCTUnwrap(Data(base64Encoded: b64))
            return try HostTensor(dtype: dtype, shape: t.shape, bytes: ByteBuffer([UInt8](data)))
        }
        let v = t.data ?? []
        if dtype == .i32 { return HostTensor(i32: v.map { Int32($0) }, shape: t.shape) }
        if dtype == .f32 { return HostTensor(f32: v.map { Float($0) }, shape: t.shape) }
        return try HostTensor(dtype: dtype, shape: t.shape, bytes: ByteBuffer(Quantize.encode(v.map { Float($0) }, as: dtype)))
    }
}
