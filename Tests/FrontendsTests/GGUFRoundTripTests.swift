import Foundation
import XCTest
import SluiceGraph
@testable import SluiceFrontends

/// A valid GGUF written by the test (every metadata type, tensors of each supported type)
/// is read back exactly: the reference is the values the test wrote.
final class GGUFRoundTripTests: XCTestCase {
    private let metadata: [(String, GGUFValue)] = [
        ("general.architecture", .string("llama")),
        ("general.alignment", .uint32(64)),
        ("t.u8", .uint8(250)),
        ("t.i8", .int8(-100)),
        ("t.u16", .uint16(65000)),
        ("t.i16", .int16(-32000)),
        ("t.u32", .uint32(4_000_000_000)),
        ("t.i32", .int32(-2_000_000_000)),
        ("t.f32", .float32(1e-5)),
        ("t.bool", .bool(true)),
        ("t.string", .string("héllo wörld ✓ 😀")),
        ("t.empty_string", .string("")),
        ("t.u64", .uint64(UInt64.max)),
        ("t.i64", .int64(Int64.min)),
        ("t.f64", .float64(-2.5e300)),
        ("t.array_u8", .array(elementType: .uint8, [.uint8(1), .uint8(2), .uint8(3)])),
        ("t.array_string", .array(elementType: .string, [.string("a"), .string(""), .string("Ġthe")])),
        ("t.array_f32", .array(elementType: .float32, [.float32(0.5), .float32(-1)])),
        ("t.array_empty", .array(elementType: .int32, [])),
        ("t.nested", .array(elementType: .array, [
            .array(elementType: .int32, [.int32(1), .int32(-2)]),
            .array(elementType: .string, [.string("x")]),
        ])),
    ]

    private func bytes(_ n: Int, seed: UInt8) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed)) } }

    private lazy var tensors: [GGUFTestWriter.Tensor] = [
        .init(name: "f32.matrix", dims: [4, 3], type: 0, data: bytes(48, seed: 1)),
        .init(name: "f16.vector", dims: [8], type: 1, data: bytes(16, seed: 2)),
        .init(name: "bf16.cube", dims: [2, 2, 2], type: 30, data: bytes(16, seed: 3)),
        .init(name: "q4_0", dims: [64, 2], type: 2, data: bytes(4 * 18, seed: 4)),
        .init(name: "q4_1", dims: [32], type: 3, data: bytes(20, seed: 5)),
        .init(name: "q8_0", dims: [32, 3, 1, 2], type: 8, data: bytes(6 * 34, seed: 6)),
        .init(name: "q4_k", dims: [256, 2], type: 12, data: bytes(2 * 144, seed: 7)),
        .init(name: "q6_k", dims: [256], type: 14, data: bytes(210, seed: 8)),
        .init(name: "q5_0", dims: [32, 2], type: 6, data: bytes(2 * 22, seed: 9)),
        .init(name: "q5_1", dims: [64], type: 7, data: bytes(2 * 24, seed: 10)),
    ]

    private let expectedDTypes: [DType] = [.f32, .f16, .bf16, .q4_0, .q4_1, .q8_0, .q4_k, .q6_k, .q5_0, .q5_1]

    func testRoundTripV3() throws { try roundTrip(version: 3) }
    func testRoundTripV2() throws { try roundTrip(version: 2) }

    private func roundTrip(version: UInt32) throws {
        let fileBytes = GGUFTestWriter.file(version: version, metadata: metadata, tensors: tensors, alignment: 64)
        let path = try TestSupport.writeTemp(fileBytes)
        let f = try GGUFFile(path: path)

        XCTAssertEqual(f.version, version)
        XCTAssertEqual(f.alignment, 64)
        XCTAssertEqual(f.dataOffset % 64, 0)

        // Metadata: every entry, in order, with its exact value and type.
        XCTAssertEqual(f.metadata.keys, metadata.map(\.0))
        for (k, v) in metadata { XCTAssertEqual(f.metadata[k], v, k) }
        let m = f.metadata
        XCTAssertEqual(m["t.u8"]?.int, 250)
        XCTAssertEqual(m["t.i8"]?.int, -100)
        XCTAssertEqual(m["t.u32"]?.int, 4_000_000_000)
        XCTAssertEqual(m["t.i64"]?.int, Int(Int64.min))
        XCTAssertNil(m["t.u64"]?.int, "UInt64.max does not fit in Int")
        XCTAssertEqual(m["t.f32"]?.float, Double(Float(1e-5)))
        XCTAssertEqual(m["t.f64"]?.float, -2.5e300)
        XCTAssertEqual(m["t.bool"]?.bool, true)
        XCTAssertEqual(m["t.string"]?.string, "héllo wörld ✓ 😀")
        XCTAssertEqual(m["t.array_string"]?.stringArray, ["a", "", "Ġthe"])
        XCTAssertEqual(m["t.array_u8"]?.intArray, [1, 2, 3])
        XCTAssertEqual(m["t.array_f32"]?.floatArray, [0.5, -1])
        XCTAssertEqual(m["t.nested"]?.array?[0].intArray, [1, -2])
        XCTAssertEqual(m["t.nested"]?.array?[1].stringArray, ["x"])
        XCTAssertEqual(m["t.nested"]?.typeDescription, "array of array")
        XCTAssertEqual(try m.requireInt("t.u16"), 65000)
        XCTAssertEqual(try m.requireString("general.architecture"), "llama")
        XCTAssertEqual(try m.int("absent"), nil)

        // Required lookups name the key and the problem.
        XCTAssertThrowsError(try m.requireInt("llama.block_count")) { e in
            XCTAssertEqual("\(e)", "\(path): metadata 'llama.block_count': required key is missing")
        }
        XCTAssertThrowsError(try m.requireInt("t.string")) { e in
            XCTAssertTrue("\(e)".contains("metadata 't.string': expected an integer, found string"), "\(e)")
        }

        // Tensors: names, dims, shapes, types, and the exact bytes, straight from the mapping.
        XCTAssertEqual(f.tensors.map(\.name), tensors.map(\.name))
        let mapping = f.mappedFile.bytes
        for (i, t) in tensors.enumerated() {
            let info = try f.requireTensor(t.name)
            XCTAssertEqual(info.dims, t.dims.map { Int($0) })
            XCTAssertEqual(info.shape, t.dims.reversed().map { Int($0) })
            XCTAssertEqual(info.ggmlType, t.type)
            XCTAssertEqual(info.dtype, expectedDTypes[i])
            XCTAssertEqual(info.byteCount, t.data.count)
            XCTAssertEqual(info.offset % 64, 0)
            let data = f.data(for: info)
            XCTAssertEqual(Array(data), t.data, t.name)
            // Not a copy: the slice points into the mapping.
            XCTAssertEqual(data.baseAddress, mapping.baseAddress! + info.fileOffset)
        }
        XCTAssertEqual(f.tensor(named: "f32.matrix")?.shape, [3, 4])
        XCTAssertEqual(f.tensor(named: "f32.matrix")?.elementCount, 12)
        XCTAssertNil(f.tensor(named: "nope"))
        XCTAssertThrowsError(try f.data(named: "nope")) { e in
            XCTAssertTrue("\(e)".contains("tensor 'nope'"), "\(e)")
        }
    }

    func testDefaultAlignmentAndNoTensors() throws {
        let b = GGUFTestWriter.file(metadata: [("a", .uint8(1))], tensors: [])
        let f = try GGUFFile(path: try TestSupport.writeTemp(b))
        XCTAssertEqual(f.alignment, 32)
        XCTAssertTrue(f.tensors.isEmpty)
        XCTAssertEqual(f.metadata.count, 1)
    }

    func testTypeNames() {
        XCTAssertEqual(GGMLType.name(forID: 13), "Q5_K")
        XCTAssertEqual(GGMLType.dtype(forID: 30), .bf16)
        XCTAssertEqual(GGMLType.id(for: .q6_k), 14)
        XCTAssertNil(GGMLType.id(for: .i32))
    }
}
