import Foundation
import SluiceGraph

/// The weights of a Hugging Face model folder: `model.safetensors`, or the shards that
/// `model.safetensors.index.json` lists (each a plain file name inside the folder).
public final class SafetensorsFolder: TensorSource {
    public let path: String
    public let files: [SafetensorsFile]
    private let owner: [String: Int]

    public init(folder: String) throws {
        path = folder
        let fm = FileManager.default
        let indexPath = folder + "/model.safetensors.index.json"
        var names: [String] = []
        var expected: [String: String] = [:]
        if fm.fileExists(atPath: indexPath) {
            let object = try JSONFile(path: indexPath)
            guard let map = object.root["weight_map"] as? [String: Any], !map.isEmpty else {
                throw ModelError.badConfig(indexPath, "weight_map", "is missing or empty")
            }
            for (tensor, v) in map {
                guard let shard = v as? String, Self.isPlainName(shard) else {
                    throw ModelError.badConfig(indexPath, "weight_map.\(tensor)",
                                               "'\(v)' is not a file name inside the model folder")
                }
                expected[tensor] = shard
                if !names.contains(shard) { names.append(shard) }
            }
            names.sort()
        } else if fm.fileExists(atPath: folder + "/model.safetensors") {
            names = ["model.safetensors"]
        } else {
            throw ModelError.unsupportedFormat(folder, "no model.safetensors or model.safetensors.index.json in the folder")
        }
        files = try names.map { try SafetensorsFile(path: folder + "/" + $0) }
        var owner: [String: Int] = [:]
        for (i, f) in files.enumerated() {
            for name in f.entries.keys {
                if let j = owner[name] {
                    throw ModelError.badTensor(f.path, name, "also stored in \(files[j].path)")
                }
                owner[name] = i
            }
        }
        for (tensor, shard) in expected where owner[tensor].map({ names[$0] }) != shard {
            throw ModelError.badConfig(indexPath, "weight_map.\(tensor)", "tensor is not in \(shard)")
        }
        self.owner = owner
    }

    /// A shard name must stay inside the folder: no separators, no `..`, not hidden.
    static func isPlainName(_ s: String) -> Bool {
        !s.isEmpty && !s.contains("/") && !s.contains("\\") && !s.hasPrefix(".") && s.count < 256
    }

    public func tensorType(_ name: String) -> (dtype: DType, shape: [Int])? {
        owner[name].flatMap { files[$0].entries[name] }.map { ($0.dtype, $0.shape) }
    }

    public func hostTensor(_ name: String) throws -> HostTensor {
        guard let i = owner[name] else { throw ModelError.missingTensor(path, name) }
        return try files[i].hostTensor(name)
    }

    public var byteCount: Int { files.reduce(0) { $0 + $1.byteCount } }
}

/// A small JSON file (config.json, tokenizer.json, an index) read whole, with errors that
/// name the file and the field.
public struct JSONFile {
    public static let maxBytes = 256 << 20
    public let path: String
    public let root: [String: Any]

    public init(path: String) throws {
        self.path = path
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let size = (attributes?[.size] as? NSNumber)?.intValue else {
            throw ModelError.unsupportedFormat(path, "cannot read the file")
        }
        guard size <= Self.maxBytes else { throw ModelError.unsupportedFormat(path, "\(size) bytes is over the \(Self.maxBytes)-byte limit for JSON") }
        guard let data = FileManager.default.contents(atPath: path),
              let object = try? JSONSerialization.jsonObject(with: data), let root = object as? [String: Any] else {
            throw ModelError.unsupportedFormat(path, "is not a JSON object")
        }
        self.root = root
    }

    public init(path: String, root: [String: Any]) { self.path = path; self.root = root }

    public func has(_ key: String) -> Bool { root[key] != nil && !(root[key] is NSNull) }

    public func int(_ key: String) throws -> Int? {
        guard has(key) else { return nil }
        guard let n = root[key] as? NSNumber, let v = Int(exactly: n.doubleValue) else {
            throw ModelError.badConfig(path, key, "\(root[key]!) is not an integer")
        }
        return v
    }

    public func requireInt(_ key: String) throws -> Int {
        guard let v = try int(key) else { throw ModelError.badConfig(path, key, "is missing") }
        return v
    }

    public func double(_ key: String) throws -> Double? {
        guard has(key) else { return nil }
        guard let n = root[key] as? NSNumber else { throw ModelError.badConfig(path, key, "\(root[key]!) is not a number") }
        return n.doubleValue
    }

    public func string(_ key: String) throws -> String? {
        guard has(key) else { return nil }
        guard let s = root[key] as? String else { throw ModelError.badConfig(path, key, "is not a string") }
        return s
    }

    public func bool(_ key: String) throws -> Bool? {
        guard has(key) else { return nil }
        guard let b = root[key] as? Bool else { throw ModelError.badConfig(path, key, "is not true or false") }
        return b
    }

    /// A nested object as its own JSONFile (errors then name `key.field`).
    public func object(_ key: String) throws -> JSONFile? {
        guard has(key) else { return nil }
        guard let o = root[key] as? [String: Any] else { throw ModelError.badConfig(path, key, "is not an object") }
        return JSONFile(path: path + ": " + key, root: o)
    }
}
