import Foundation
import XCTest
@testable import SluiceFrontends
import SluiceGraph

/// The safetensors reader on hand-made files: good tensors read back exactly, and every
/// malformed header is refused with an error naming the file and the field.
final class SafetensorsTests: XCTestCase {
    /// A safetensors file: the header JSON (padded with spaces to 8 bytes), then `data`.
    static func file(_ header: String, _ data: [UInt8], headerLength: UInt64? = nil) -> [UInt8] {
        var h = Array(header.utf8)
        while h.count % 8 != 0 { h.append(0x20) }
        let n = headerLength ?? UInt64(h.count)
        return (0..<8).map { UInt8((n >> (8 * UInt64($0))) & 0xFF) } + h + data
    }

    static func floats(_ v: [Float]) -> [UInt8] { v.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) } }

    func testReadsTensorsAndMetadata() throws {
        let data = Self.floats([1, 2, 3, 4, 5, 6]) + [0x00, 0x3C, 0x00, 0xC0]  // f16 1.0, -2.0
        let header = #"{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"h":{"dtype":"F16","shape":[2],"data_offsets":[24,28]}}"#
        let path = try TestSupport.writeTemp(Self.file(header, data), name: "ok.safetensors")
        let f = try SafetensorsFile(path: path)
        XCTAssertEqual(f.metadata, ["format": "pt"])
        XCTAssertEqual(f.entries["w"]?.shape, [2, 3])
        XCTAssertEqual(try f.hostTensor("w").floats(), [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(try f.hostTensor("h").floats(), [1, -2])
    }

    func testBadFilesNameTheField() throws {
        let ok = Self.floats([1, 2])
        let cases: [(String, [UInt8], String)] = [
            ("too short", [1, 2, 3], "too short"),
            ("header past the end", Self.file("{}", [], headerLength: 1 << 20), "header length"),
            ("huge header length", Self.file("{}", [], headerLength: UInt64.max), "header length"),
            ("not JSON", Self.file("{nope", ok), "not a JSON object"),
            ("offsets past the data", Self.file(#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, ok), "tensor 'a': data_offsets"),
            ("reversed offsets", Self.file(#"{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}"#, ok), "tensor 'a': data_offsets"),
            ("shape/bytes mismatch", Self.file(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, ok), "does not match its 8 bytes"),
            ("unknown dtype", Self.file(#"{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, ok), "dtype I64 is not supported"),
            ("negative dim", Self.file(#"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, ok), "tensor 'a': shape"),
            ("overflowing shape", Self.file(#"{"a":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,8]}}"#, ok), "does not match"),
            ("overlap", Self.file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, ok), "overlaps"),
        ]
        for (label, bytes, expected) in cases {
            let path = try TestSupport.writeTemp(bytes, name: "bad.safetensors")
            XCTAssertThrowsError(try SafetensorsFile(path: path), label) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains(path), "\(label): \(text)")
                XCTAssertTrue(text.contains(expected), "\(label): \(text)")
            }
        }
    }

    /// Shard names in the index must be plain file names inside the folder.
    func testShardIndexStaysInsideTheFolder() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let shard = Self.file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, Self.floats([7, 8]))
        try Data(shard).write(to: dir.appendingPathComponent("s1.safetensors"))
        for (target, expected) in [("../s1.safetensors", "not a file name inside"), ("/etc/passwd", "not a file name inside"),
                                   ("s2.safetensors", "cannot open"), ("s1.safetensors", "")] {
            let index = #"{"metadata":{},"weight_map":{"a":"\#(target)"}}"#
            try Data(index.utf8).write(to: dir.appendingPathComponent("model.safetensors.index.json"))
            if expected.isEmpty {
                let folder = try SafetensorsFolder(folder: dir.path)
                XCTAssertEqual(try folder.hostTensor("a").floats(), [7, 8])
                continue
            }
            XCTAssertThrowsError(try SafetensorsFolder(folder: dir.path), target) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(target): \(error)")
            }
        }
    }
}
