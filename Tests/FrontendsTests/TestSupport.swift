import Foundation
import XCTest
@testable import SluiceFrontends

/// Paths and helpers shared by the frontend tests.
enum TestSupport {
    /// The package root, found from this file's location (Tests/FrontendsTests/…).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let fixtures: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    /// The SmolLM2 model: `$SLUICE_MODEL`, or models/SmolLM2-135M-Instruct.Q4_1.gguf in the package.
    static var modelPath: String {
        if let env = ProcessInfo.processInfo.environment["SLUICE_MODEL"], !env.isEmpty { return env }
        return packageRoot.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
    }

    /// Opens the real model, failing (not skipping) the test when the file is absent.
    static func openModel(file: StaticString = #filePath, line: UInt = #line) throws -> GGUFFile {
        let path = modelPath
        guard FileManager.default.fileExists(atPath: path) else {
            XCTFail("model file \(path) is missing: run `make test` or scripts/fetch-model.sh to download it "
                    + "(or set SLUICE_MODEL to its path)", file: file, line: line)
            throw ModelMissing(path: path)
        }
        return try GGUFFile(path: path)
    }

    struct ModelMissing: Error, CustomStringConvertible {
        let path: String
        var description: String { "model file \(path) is missing (run `make test` or scripts/fetch-model.sh)" }
    }

    /// Writes `bytes` to a fresh temporary file and returns its path.
    static func writeTemp(_ bytes: [UInt8], name: String = "test.gguf") throws -> String {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-frontends-tests-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent("\(UUID().uuidString)-\(name)")
        try Data(bytes).write(to: url)
        return url.path
    }

    static func loadJSON(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent(name))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// 64-bit FNV-1a, to check that a file is the one a fixture was made from.
    static func fnv1a64(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return h
    }
}
