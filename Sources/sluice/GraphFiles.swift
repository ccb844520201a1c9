import Foundation
import SluiceGraph
import SluicePasses

/// Loading graph files and parsing `--bind` options for the commands.
enum GraphFiles {
    static func load(_ path: String) throws -> Graph {
        FusedOps.register()
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("cannot read graph file '\(path)'")
        }
        do {
            let g = try GraphParser.parse(String(decoding: data, as: UTF8.self))
            try Verifier.verify(g)
            return g
        } catch let e as GraphError {
            throw CLIError("\(path): \(e)")
        }
    }

    /// `T=4,P=0,C=16` → bindings.
    static func bindings(_ text: String?) throws -> Bindings {
        guard let text, !text.isEmpty else { return [:] }
        var out: Bindings = [:]
        for part in text.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2, !kv[0].isEmpty, let v = Int(kv[1]), v >= 0 else {
                throw CLIError("--bind: expected SYMBOL=N pairs like T=4,P=0,C=16, got '\(part)'")
            }
            out[kv[0]] = v
        }
        return out
    }

    static func write(_ text: String, to path: String?) throws {
        guard let path else { print(text, terminator: ""); return }
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
            throw CLIError("cannot write '\(path)'")
        }
    }
}

/// A user-facing error: printed as is, exit code 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ m: String) { description = m }
}
