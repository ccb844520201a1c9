import Foundation
import XCTest
@testable import SluiceBackend
import SluiceGraph

/// One Vulkan device for the whole test run (lavapipe on CI), opened with the validation
/// layer when SLUICE_VALIDATION=1 (scripts/test.sh sets it).
enum TestDevice {
    nonisolated(unsafe) private static var cached: VulkanDevice?
    static func get() throws -> VulkanDevice {
        if let d = cached { return d }
        let d = try VulkanDevice()
        cached = d
        return d
    }
}

class BackendTestCase: XCTestCase {
    override func setUp() {
        super.setUp()
        ValidationLog.clear()
    }

    /// Every test fails on any validation-layer message.
    override func tearDown() {
        let messages = ValidationLog.all
        XCTAssertTrue(messages.isEmpty, "validation layer reported:\n" + messages.prefix(5).joined(separator: "\n"))
        super.tearDown()
    }

    var device: VulkanDevice { get throws { try TestDevice.get() } }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}
