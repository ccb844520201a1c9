import CONNX
import Foundation
import SluiceGraph

/// A tensor from an ONNX file (an initializer or a `Constant`), as little-endian bytes.
public struct ONNXTensor: @unchecked Sendable {
    public enum ElementType: Int32, Sendable {
        case float = 1, uint8 = 2, int8 = 3, int32 = 6, int64 = 7, bool = 9, float16 = 10, double = 11, bfloat16 = 16

        public var size: Int {
            switch self {
            case .uint8, .int8, .bool: return 1
            case .float16, .bfloat16: return 2
            case .float, .int32: return 4
            case .int64, .double: return 8
            }
        }
        public var isFloat: Bool { [.float, .float16, .bfloat16, .double].contains(self) }
    }

    public var name: String
    public var type: ElementType
    public var dims: [Int]
    public var bytes: ByteBuffer

    public var count: Int { dims.reduce(1, *) }

    /// The values as Float (any numeric type).
    public func floats() -> [Float] { (0..<count).map(value) }

    /// Element i converted to Float.
    private func value(_ i: Int) -> Float {
        let p = bytes.bytes
        switch type {
        case .float: return p.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)
        case .float16: return Dequantize.half(p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
        case .bfloat16: return Dequantize.bfloat(p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
        case .double: return Float(p.loadUnaligned(fromByteOffset: 8 * i, as: Double.self))
        case .int64: return Float(p.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))
        case .int32: return Float(p.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))
        case .uint8, .bool: return Float(p[i])
        case .int8: return Float(Int8(bitPattern: p[i]))
        }
    }
}

public enum ONNXAttribute: Sendable {
    case float(Float), int(Int), string(String), tensor(ONNXTensor)
    case floats([Float]), ints([Int]), strings([String])
    case unsupported(Int32)
}

public struct ONNXNode: Sendable {
    public var name: String
    public var opType: String
    public var domain: String
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [String: ONNXAttribute]

    public func int(_ key: String) -> Int? { if case .int(let v)? = attributes[key] { return v }; return nil }
    public func ints(_ key: String) -> [Int]? { if case .ints(let v)? = attributes[key] { return v }; return nil }
    public func float(_ key: String) -> Float? { if case .float(let v)? = attributes[key] { return v }; return nil }
    public func string(_ key: String) -> String? { if case .string(let v)? = attributes[key] { return v }; return nil }
}

/// A graph input or output: element type and dims (a size, a named symbol, or unknown).
public struct ONNXValueInfo: Sendable {
    public enum Dim: Sendable, Equatable { case value(Int), param(String), unknown }
    public var name: String
    public var elementType: Int32
    public var dims: [Dim]
}

/// An ONNX model read with libprotobuf-c: the main graph's nodes, initializers (raw data
/// kept in the parsed message, external data mapped from files beside the model), inputs,
/// outputs and opset imports.
public final class ONNXModel: @unchecked Sendable {
    public let path: String
    public let irVersion: Int
    public let producer: String
    /// Opset version per domain ("" is the default ONNX domain).
    public let opsets: [String: Int]
    public private(set) var nodes: [ONNXNode] = []
    public private(set) var initializers: [String: ONNXTensor] = [:]
    public private(set) var inputs: [ONNXValueInfo] = []
    public private(set) var outputs: [ONNXValueInfo] = []
    /// Total bytes of the model file and its external data files.
    public private(set) var fileBytes: Int

    private let message: ParsedMessage
    private var externalFiles: [String: MappedFile] = [:]

    /// Frees the protobuf-c message tree once nothing references its byte fields.
    final class ParsedMessage {
        let pointer: UnsafeMutablePointer<Onnx__ModelProto>
        init(_ p: UnsafeMutablePointer<Onnx__ModelProto>) { pointer = p }
        deinit { onnx__model_proto__free_unpacked(pointer, nil) }
    }

    public static let maxFileBytes = 2_147_483_647

    public init(path: String) throws {
        self.path = path
        let file = try MappedFile(path: path)
        let bytes = file.bytes
        guard bytes.count > 0, bytes.count <= Self.maxFileBytes else {
            throw ONNXError(path, "file", "\(bytes.count) bytes: empty or over the 2 GiB protobuf limit")
        }
        guard let m = onnx__model_proto__unpack(nil, bytes.count, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)) else {
            throw ONNXError(path, "ModelProto", "is not a valid ONNX protobuf message (corrupt or truncated file)")
        }
        message = ParsedMessage(m)
        fileBytes = bytes.count
        let model = m.pointee
        irVersion = model.has_ir_version != 0 ? Int(model.ir_version) : 0
        producer = Self.string(model.producer_name) + " " + Self.string(model.producer_version)
        var opsets: [String: Int] = [:]
        for i in 0..<model.n_opset_import {
            let o = model.opset_import[i]!.pointee
            opsets[Self.string(o.domain)] = Int(o.version)
        }
        self.opsets = opsets
        guard let g = model.graph?.pointee else { throw ONNXError(path, "ModelProto.graph", "is missing") }

        nodes.reserveCapacity(g.n_node)
        inputs = try (0..<g.n_input).map { try Self.valueInfo(g.input[$0]!.pointee, path) }
        outputs = try (0..<g.n_output).map { try Self.valueInfo(g.output[$0]!.pointee, path) }
        // Nodes first (no external data), then initializers, which may map files.
        for i in 0..<g.n_node {
            let n = g.node[i]!.pointee
            let name = Self.string(n.name).isEmpty ? "node #\(i)" : Self.string(n.name)
            var attributes: [String: ONNXAttribute] = [:]
            for j in 0..<n.n_attribute {
                let a = n.attribute[j]!.pointee
                attributes[Self.string(a.name)] = try attribute(a, node: name)
            }
            nodes.append(ONNXNode(name: name, opType: Self.string(n.op_type), domain: Self.string(n.domain),
                                  inputs: (0..<n.n_input).map { Self.string(n.input[$0]) },
                                  outputs: (0..<n.n_output).map { Self.string(n.output[$0]) },
                                  attributes: attributes))
        }
        for i in 0..<g.n_initializer {
            let t = try tensor(g.initializer[i]!.pointee, field: "initializer #\(i)")
            initializers[t.name] = t
        }
    }

    static func string(_ p: UnsafeMutablePointer<CChar>?) -> String { p.map { String(cString: $0) } ?? "" }

    static func valueInfo(_ v: Onnx__ValueInfoProto, _ path: String) throws -> ONNXValueInfo {
        let name = string(v.name)
        guard let type = v.type?.pointee, type.value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE,
              let tensor = type.tensor_type?.pointee else {
            throw ONNXError(path, "graph value '\(name)'", "is not a tensor (sequences and maps are not supported)")
        }
        var dims: [ONNXValueInfo.Dim] = []
        if let shape = tensor.shape?.pointee {
            for i in 0..<shape.n_dim {
                let d = shape.dim[i]!.pointee
                switch d.value_case {
                case ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE: dims.append(.value(Int(d.dim_value)))
                case ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM: dims.append(.param(string(d.dim_param)))
                default: dims.append(.unknown)
                }
            }
        }
        return ONNXValueInfo(name: name, elementType: tensor.elem_type, dims: dims)
    }

    private func attribute(_ a: Onnx__AttributeProto, node: String) throws -> ONNXAttribute {
        switch a.type {
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT: return .float(a.f)
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: return .int(Int(a.i))
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING: return .string(Self.bytesString(a.s))
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR:
            guard let t = a.t?.pointee else { throw ONNXError(path, "node '\(node)' attribute '\(Self.string(a.name))'", "tensor is missing") }
            return .tensor(try tensor(t, field: "node '\(node)' attribute '\(Self.string(a.name))'"))
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS: return .floats((0..<a.n_floats).map { a.floats[$0] })
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS: return .ints((0..<a.n_ints).map { Int(a.ints[$0]) })
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS: return .strings((0..<a.n_strings).map { Self.bytesString(a.strings[$0]) })
        default: return .unsupported(Int32(bitPattern: a.type.rawValue))
        }
    }

    static func bytesString(_ b: ProtobufCBinaryData) -> String {
        guard b.len > 0, let d = b.data else { return "" }
        return String(decoding: UnsafeBufferPointer(start: d, count: b.len), as: UTF8.self)
    }

    public static let maxElements = 1 << 34

    private func tensor(_ t: Onnx__TensorProto, field: String) throws -> ONNXTensor {
        let name = Self.string(t.name)
        let label = name.isEmpty ? field : "tensor '\(name)'"
        guard let type = ONNXTensor.ElementType(rawValue: t.data_type) else {
            throw ONNXError(path, label, "element type \(t.data_type) is not supported (float, float16, bfloat16, double, int8/32/64, uint8, bool)")
        }
        let dims = (0..<t.n_dims).map { Int(t.dims[$0]) }
        var count = 1
        for d in dims {
            guard d >= 0 else { throw ONNXError(path, label, "dims \(dims) are negative") }
            let (c, o) = count.multipliedReportingOverflow(by: d)
            guard !o, c <= Self.maxElements else { throw ONNXError(path, label, "dims \(dims) are too large") }
            count = c
        }
        let need = count * type.size
        func wrap(_ array: [UInt8]) -> ByteBuffer { ByteBuffer(array) }
        let bytes: ByteBuffer
        if t.has_data_location != 0, t.data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL {
            bytes = try external(t, label: label, need: need)
        } else if t.has_raw_data != 0 {
            guard t.raw_data.len == need else {
                throw ONNXError(path, label, "raw_data has \(t.raw_data.len) bytes, dims \(dims) of \(type) need \(need)")
            }
            let raw = UnsafeRawBufferPointer(start: t.raw_data.data, count: t.raw_data.len)
            bytes = Int(bitPattern: raw.baseAddress) % 8 == 0 ? ByteBuffer(bytes: raw, owner: message) : ByteBuffer(Array(raw))
        } else {
            // Typed fields: float_data (float), int32_data (int32, int8, uint8, bool, and the
            // 16-bit floats' bits), int64_data, double_data.
            var out: [UInt8] = []
            out.reserveCapacity(need)
            func take<T>(_ n: Int, _ p: UnsafeMutablePointer<T>?, _ conv: (T) -> [UInt8]) throws {
                guard n == count else { throw ONNXError(path, label, "holds \(n) values, dims \(dims) need \(count)") }
                for i in 0..<n { out += conv(p![i]) }
            }
            switch type {
            case .float: try take(t.n_float_data, t.float_data) { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
            case .int32: try take(t.n_int32_data, t.int32_data) { withUnsafeBytes(of: $0.littleEndian, Array.init) }
            case .int8, .uint8, .bool: try take(t.n_int32_data, t.int32_data) { [UInt8(truncatingIfNeeded: $0)] }
            case .float16, .bfloat16: try take(t.n_int32_data, t.int32_data) { withUnsafeBytes(of: UInt16(truncatingIfNeeded: $0).littleEndian, Array.init) }
            case .int64: try take(t.n_int64_data, t.int64_data) { withUnsafeBytes(of: $0.littleEndian, Array.init) }
            case .double: try take(t.n_double_data, t.double_data) { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
            }
            bytes = wrap(out)
        }
        return ONNXTensor(name: name, type: type, dims: dims, bytes: bytes)
    }

    /// External data: `location` must be a relative path inside the model's folder (no `..`,
    /// no absolute path); `offset`/`length` must lie inside that file.
    private func external(_ t: Onnx__TensorProto, label: String, need: Int) throws -> ByteBuffer {
        var entries: [String: String] = [:]
        for i in 0..<t.n_external_data {
            let e = t.external_data[i]!.pointee
            entries[Self.string(e.key)] = Self.string(e.value)
        }
        guard let location = entries["location"], !location.isEmpty else {
            throw ONNXError(path, label, "external data has no location")
        }
        let parts = location.split(separator: "/", omittingEmptySubsequences: false)
        guard !location.hasPrefix("/"), !location.contains("\\"), !parts.contains(".."), !parts.contains("") else {
            throw ONNXError(path, label, "external data location '\(location)' is not a relative path inside the model's folder")
        }
        func number(_ key: String) throws -> Int? {
            guard let s = entries[key] else { return nil }
            guard let v = Int(s), v >= 0 else { throw ONNXError(path, label, "external data \(key) '\(s)' is not a byte count") }
            return v
        }
        let offset = try number("offset") ?? 0
        let length = try number("length") ?? need
        guard length == need else { throw ONNXError(path, label, "external data length \(length), the dims need \(need) bytes") }
        let folder = (path as NSString).deletingLastPathComponent
        let filePath = folder.isEmpty ? location : folder + "/" + location
        let file: MappedFile
        if let f = externalFiles[location] { file = f } else {
            do { file = try MappedFile(path: filePath) } catch {
                throw ONNXError(path, label, "external data file '\(location)' cannot be opened")
            }
            externalFiles[location] = file
            fileBytes += file.bytes.count
        }
        guard offset <= file.bytes.count, length <= file.bytes.count - offset else {
            throw ONNXError(path, label, "external data \(offset)..<\(offset + length) is outside '\(location)' (\(file.bytes.count) bytes)")
        }
        let slice = UnsafeRawBufferPointer(rebasing: file.bytes[offset..<(offset + length)])
        return Int(bitPattern: slice.baseAddress) % 8 == 0 ? ByteBuffer(bytes: slice, owner: file) : ByteBuffer(Array(slice))
    }
}

/// A problem in an ONNX file: the file, the field or node, and why.
public struct ONNXError: Error, CustomStringConvertible {
    public var path: String, field: String, reason: String
    public init(_ path: String, _ field: String, _ reason: String) { self.path = path; self.field = field; self.reason = reason }
    public var description: String { "\(path): \(field): \(reason)" }
}
