import Foundation
import XCTest
@testable import SluiceFrontends

/// Malformed GGUF files, built byte by byte: each must be rejected with a `GGUFError` that
/// names the offending field, without crashing, hanging or allocating what the file claims.
final class GGUFBadFileTests: XCTestCase {
    /// Parses `bytes` from a temporary file and checks the error's field (and reason text).
    private func assertRejected(_ bytes: [UInt8], field: String, reason: String? = nil,
                                file: StaticString = #filePath, line: UInt = #line) throws {
        let path = try TestSupport.writeTemp(bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try GGUFFile(path: path)
            XCTFail("file was accepted; expected an error in '\(field)'", file: file, line: line)
        } catch let e as GGUFError {
            XCTAssertEqual(e.field, field, "\(e)", file: file, line: line)
            XCTAssertEqual(e.path, path, file: file, line: line)
            XCTAssertTrue(e.description.contains(field), "\(e)", file: file, line: line)
            if let reason {
                XCTAssertTrue(e.description.contains(reason), "'\(e)' should mention '\(reason)'",
                              file: file, line: line)
            }
        }
    }

    private let huge: UInt64 = 1 << 62

    /// A header for one tensor and no metadata, followed by `info`.
    private func oneTensor(_ info: (inout GGUFTestWriter) -> Void, data: Int = 64) -> [UInt8] {
        var w = GGUFTestWriter()
        w.header(tensors: 1, metadata: 0)
        info(&w)
        w.pad(to: 32)
        w.raw([UInt8](repeating: 0, count: data))
        return w.bytes
    }

    // MARK: Header

    func testEmptyFile() throws {
        try assertRejected([], field: "header magic", reason: "truncated")
    }

    func testTruncatedHeader() throws {
        var w = GGUFTestWriter()
        w.raw(Array("GGUF".utf8))
        w.u32(3)
        w.raw([1, 0, 0, 0])  // half a tensor count
        try assertRejected(w.bytes, field: "header tensor count", reason: "truncated")
    }

    func testBadMagic() throws {
        var w = GGUFTestWriter()
        w.raw(Array("GGML".utf8))
        w.u32(3); w.u64(0); w.u64(0)
        try assertRejected(w.bytes, field: "header magic", reason: "bad magic")
    }

    func testVersion1Rejected() throws {
        var w = GGUFTestWriter()
        w.header(version: 1, tensors: 0, metadata: 0)
        try assertRejected(w.bytes, field: "header version", reason: "version 1 is not supported")
    }

    func testUnknownAndByteSwappedVersions() throws {
        var w = GGUFTestWriter()
        w.header(version: 4, tensors: 0, metadata: 0)
        try assertRejected(w.bytes, field: "header version", reason: "version 4")
        w = GGUFTestWriter()
        w.header(version: UInt32(3).byteSwapped, tensors: 0, metadata: 0)
        try assertRejected(w.bytes, field: "header version", reason: "big-endian")
    }

    func testAbsurdTensorCount() throws {
        var w = GGUFTestWriter()
        w.header(tensors: huge, metadata: 0)
        try assertRejected(w.bytes, field: "header tensor count", reason: "cannot fit")
    }

    func testAbsurdMetadataCount() throws {
        var w = GGUFTestWriter()
        w.header(tensors: 0, metadata: UInt64.max)
        try assertRejected(w.bytes, field: "header metadata count", reason: "cannot fit")
    }

    // MARK: Metadata

    func testAbsurdKeyLength() throws {
        var w = GGUFTestWriter()
        w.header(tensors: 0, metadata: 1)
        w.u64(huge)
        w.raw(Array("general.name".utf8))
        try assertRejected(w.bytes, field: "metadata key #0 length", reason: "\(huge)")
    }

    func testAbsurdStringValueLength() throws {
        var w = GGUFTestWriter()
        w.header(tensors: 0, metadata: 2)
        w.kv("general.architecture", .string("llama"))
        w.string("general.name")
        w.u32(GGUFValueType.string.rawValue)
        w.u64(huge)
        w.raw(Array("x".utf8))
        try assertRejected(w.bytes, field: "metadata 'general.name' length", reason: "exceeds")
    }

    func testAbsurdArrayCount() throws {
        var w = GGUFTestWriter()
        w.header(tensors: 0, metadata: 1)
        w.string("tokenizer.ggml.tokens")
        w.u32(GGUFValueType.array.rawValue)
        w.u32(GGUFValueType.string.rawValue)
        w.u64(huge)
        w.raw([UInt8](repeating: 0, count: 64))
        try assertRejected(w.bytes, field: "metadata 'tokenizer.ggml.tokens' array count", reason: "cannot fit")
    }

    func testDeeplyNestedArrays() throws {
        var w = GGUFTestWriter()
        w.header(tensors: 0, metadata: 1)
        w.string("deep")
        w.u32(GGUFValueType.array.rawValue)
        for _ in 0..<10_000 { w.u32(GGUFValueType.array.rawValue); w.u64(1) }
        w.u32(GGUFValueType.uint8.rawValue); w.u64(1); w.raw([7])
        let path = try TestSupport.writeTemp(w.bytes)
        XCTAssertThrowsError(try GGUFFile(path: path)) { e in
            XCTAssertTrue("\(e)".contains("nested deeper"), "\(e)")
            XCTAssertTrue("\(e)".contains("metadata 'deep'"), "\(e)")
        }
    }

    func testUnknownValueType() throws {
        var w = GGUFTestWriter()
        w.header(tensors: 0, metadata: 1)
        w.string("general.name")
        w.u32(13)
        w.u64(0)
        try assertRejected(w.bytes, field: "metadata 'general.name' value type", reason: "13")
    }

    func testBadBool() throws {
        var w = GGUFTestWriter()
        w.header(tensors: 0, metadata: 1)
        w.string("flag")
        w.u32(GGUFValueType.bool.rawValue)
        w.raw([2])
        try assertRejected(w.bytes, field: "metadata 'flag'", reason: "bool")
    }

    func testDuplicateMetadataKey() throws {
        var w = GGUFTestWriter()
        w.header(tensors: 0, metadata: 2)
        w.kv("a", .uint8(1))
        w.kv("a", .uint8(2))
        try assertRejected(w.bytes, field: "metadata key #1", reason: "duplicate")
    }

    func testEmptyMetadataKey() throws {
        var w = GGUFTestWriter()
        w.header(tensors: 0, metadata: 1)
        w.kv("", .uint8(1))
        w.raw([0, 0, 0, 0])  // room for more, so the count check passes
        try assertRejected(w.bytes, field: "metadata key #0", reason: "empty")
    }

    func testBadAlignment() throws {
        for bad: GGUFValue in [.uint32(0), .uint32(48), .int32(-32)] {
            var w = GGUFTestWriter()
            w.header(tensors: 0, metadata: 1)
            w.kv("general.alignment", bad)
            try assertRejected(w.bytes, field: "metadata 'general.alignment'", reason: "power of two")
        }
        var w = GGUFTestWriter()
        w.header(tensors: 0, metadata: 1)
        w.kv("general.alignment", .string("32"))
        try assertRejected(w.bytes, field: "metadata 'general.alignment'", reason: "expected an integer")
    }

    // MARK: Tensor infos

    func testTooManyDims() throws {
        let b = oneTensor { $0.tensorInfo("w", dims: [1, 1, 1, 1, 1, 1, 1, 1, 1], type: 0, offset: 0) }
        try assertRejected(b, field: "tensor 'w' n_dims", reason: "9 dimensions")
    }

    func testZeroDims() throws {
        let b = oneTensor { $0.tensorInfo("w", dims: [], type: 0, offset: 0) }
        try assertRejected(b, field: "tensor 'w' n_dims")
    }

    func testDimProductOverflow() throws {
        let b = oneTensor { $0.tensorInfo("w", dims: [1 << 32, 1 << 32], type: 0, offset: 0) }
        try assertRejected(b, field: "tensor 'w' dimension 1", reason: "overflow")
    }

    func testByteSizeOverflow() throws {
        // 2^62 f32 values fit in Int, their 2^64 bytes do not.
        let b = oneTensor { $0.tensorInfo("w", dims: [1 << 31, 1 << 31], type: 0, offset: 0) }
        try assertRejected(b, field: "tensor 'w' size", reason: "overflow")
    }

    func testHugeDim() throws {
        let b = oneTensor { $0.tensorInfo("w", dims: [UInt64.max], type: 0, offset: 0) }
        try assertRejected(b, field: "tensor 'w' dimension 0")
    }

    func testZeroDim() throws {
        let b = oneTensor { $0.tensorInfo("w", dims: [4, 0], type: 0, offset: 0) }
        try assertRejected(b, field: "tensor 'w' dimension 1")
    }

    func testOffsetPastEnd() throws {
        let b = oneTensor { $0.tensorInfo("w", dims: [16], type: 0, offset: 1 << 20) }
        try assertRejected(b, field: "tensor 'w' offset", reason: "past the end")
        // Data that starts inside the file but ends after it.
        let c = oneTensor({ $0.tensorInfo("w", dims: [32], type: 0, offset: 0) }, data: 100)
        try assertRejected(c, field: "tensor 'w' offset", reason: "past the end")
        // An offset so large that adding the data section start overflows.
        let d = oneTensor { $0.tensorInfo("w", dims: [16], type: 0, offset: UInt64(Int.max) - 31) }
        try assertRejected(d, field: "tensor 'w' offset", reason: "past the end")
    }

    func testMisalignedOffset() throws {
        let b = oneTensor({ $0.tensorInfo("w", dims: [4], type: 0, offset: 4) }, data: 64)
        try assertRejected(b, field: "tensor 'w' offset", reason: "alignment 32")
    }

    func testUnsupportedTensorType() throws {
        let b = oneTensor({ $0.tensorInfo("blk.0.attn_q.weight", dims: [256], type: 13, offset: 0) }, data: 256)
        try assertRejected(b, field: "tensor 'blk.0.attn_q.weight' type", reason: "13 (Q5_K)")
        let c = oneTensor { $0.tensorInfo("w", dims: [4], type: 999, offset: 0) }
        try assertRejected(c, field: "tensor 'w' type", reason: "999 (unknown)")
    }

    func testPartialBlock() throws {
        // 33 Q4_0 values per row: not a whole number of 32-value blocks.
        let b = oneTensor { $0.tensorInfo("w", dims: [33], type: 2, offset: 0) }
        try assertRejected(b, field: "tensor 'w' dimension 0", reason: "blocks of 32")
    }

    func testDuplicateTensorName() throws {
        var w = GGUFTestWriter()
        w.header(tensors: 2, metadata: 0)
        w.tensorInfo("w", dims: [4], type: 0, offset: 0)
        w.tensorInfo("w", dims: [4], type: 0, offset: 32)
        w.pad(to: 32)
        w.raw([UInt8](repeating: 0, count: 64))
        try assertRejected(w.bytes, field: "tensor #1 name", reason: "duplicate name 'w'")
    }

    func testTruncatedTensorInfo() throws {
        var w = GGUFTestWriter()
        w.header(tensors: 1, metadata: 0)
        w.string("w")
        w.u32(4)
        w.u64(4); w.u64(4); w.u64(4)
        w.raw([0, 0])  // cut inside the fourth dimension
        try assertRejected(w.bytes, field: "tensor 'w' dimension 3", reason: "truncated")
    }

    // MARK: Robustness sweeps

    /// A small valid file used as the base of the sweeps below.
    private func sampleFile() -> [UInt8] {
        GGUFTestWriter.file(
            metadata: [("general.architecture", .string("llama")),
                       ("list", .array(elementType: .string, [.string("a"), .string("bc")])),
                       ("n", .uint32(7))],
            tensors: [.init(name: "a", dims: [8], type: 0, data: [UInt8](repeating: 1, count: 32)),
                      .init(name: "b", dims: [32, 2], type: 8, data: [UInt8](repeating: 2, count: 68))])
    }

    /// Every proper prefix of a valid file is rejected with a GGUFError (never a crash).
    func testEveryTruncationIsRejected() throws {
        let full = sampleFile()
        let dataStart = try GGUFFile(path: TestSupport.writeTemp(full)).dataOffset
        // Cutting anywhere before the end of the last tensor's data must fail.
        let lastEnd = dataStart + 32 + 68
        for n in 0..<lastEnd {
            let path = try TestSupport.writeTemp(Array(full[..<n]))
            defer { try? FileManager.default.removeItem(atPath: path) }
            XCTAssertThrowsError(try GGUFFile(path: path), "prefix of \(n) bytes") { e in
                XCTAssertTrue(e is GGUFError, "prefix \(n): \(e)")
            }
        }
    }

    /// Corrupting single bytes of the header and tables either still parses or throws a
    /// GGUFError — never traps. Deterministic (fixed seed).
    func testSingleByteCorruptionNeverCrashes() throws {
        let full = sampleFile()
        var rng = SplitMix64(seed: 0x5EED)
        let tableEnd = try GGUFFile(path: TestSupport.writeTemp(full)).dataOffset
        for _ in 0..<300 {
            var b = full
            let i = Int(rng.next() % UInt64(tableEnd))
            b[i] = UInt8(truncatingIfNeeded: rng.next())
            let path = try TestSupport.writeTemp(b)
            defer { try? FileManager.default.removeItem(atPath: path) }
            do { _ = try GGUFFile(path: path) } catch { XCTAssertTrue(error is GGUFError, "\(error)") }
        }
    }

    func testMissingFile() {
        XCTAssertThrowsError(try GGUFFile(path: "/nonexistent/model.gguf")) { e in
            XCTAssertEqual((e as? GGUFError)?.field, "file")
            XCTAssertTrue("\(e)".contains("/nonexistent/model.gguf"))
        }
    }
}

/// A tiny deterministic PRNG for the corruption sweep.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
