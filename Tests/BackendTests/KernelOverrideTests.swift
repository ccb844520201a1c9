import Foundation
import XCTest
@testable import SluiceBackend

/// SLUICE_KERNEL_DIR: a NAME.spv there replaces kernel NAME's built-in binary; a file that is
/// not SPIR-V is refused with its path; kernels without a file keep their built-in binary.
final class KernelOverrideTests: XCTestCase {
    func testKernelDirectoryOverride() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-kernels-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir); unsetenv("SLUICE_KERNEL_DIR") }
        let copy = try XCTUnwrap(SPIRV.all["copy"].flatMap { Data(base64Encoded: $0) })
        // Another kernel's binary under copy's name: what override returns is the file's.
        let other = try XCTUnwrap(SPIRV.all.first { $0.key != "copy" }.flatMap { Data(base64Encoded: $0.value) })
        try other.write(to: dir.appendingPathComponent("copy.spv"))
        try Data("not a kernel".utf8).write(to: dir.appendingPathComponent("broken.spv"))
        XCTAssertNil(try Pipeline.override("copy"), "no SLUICE_KERNEL_DIR: built-in")
        setenv("SLUICE_KERNEL_DIR", dir.path, 1)
        XCTAssertEqual(try Pipeline.override("copy"), other)
        XCTAssertNotEqual(other, copy)
        XCTAssertNil(try Pipeline.override("argmax"), "no file: built-in")
        XCTAssertThrowsError(try Pipeline.override("broken")) { e in
            XCTAssertTrue("\(e)".contains("broken.spv"), "\(e)")
            XCTAssertTrue("\(e)".contains("SLUICE_KERNEL_DIR"), "\(e)")
        }
    }
}
