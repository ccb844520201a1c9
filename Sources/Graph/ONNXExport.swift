/// Writes a graph as an ONNX `ModelProto` (protobuf wire format, encoded here) so that it
/// can be looked at in Netron: every node keeps its Sluice op name in the `ai.sluice`
/// domain, attributes become ONNX attributes, symbolic sizes become `dim_param`s. Weights
/// and state are declared as graph inputs with their types (no data): quantized tensors as
/// uint8 rows, with the real type in the doc string.
public enum ONNXExport {
    public static let domain = "ai.sluice"

    public static func model(_ g: Graph, producer: String = "sluice") -> [UInt8] {
        var m = Proto()
        m.int(1, 9)                              // ir_version
        m.string(2, producer)                    // producer_name
        m.message(7, graph(g))                   // graph
        m.message(8, { var o = Proto(); o.string(1, ""); o.int(2, 18); return o }())       // opset_import
        m.message(8, { var o = Proto(); o.string(1, domain); o.int(2, 1); return o }())
        return m.bytes
    }

    static func graph(_ g: Graph) -> Proto {
        var p = Proto()
        for (i, n) in g.nodes.enumerated() {
            var node = Proto()
            for input in n.inputs { node.string(1, input) }
            for output in n.outputs { node.string(2, output.name) }
            node.string(3, "\(n.op)_\(i)")
            node.string(4, n.op)
            for (key, value) in n.attributes.sorted(by: { $0.key < $1.key }) { node.message(5, attribute(key, value)) }
            node.string(7, domain)
            p.message(1, node)
        }
        p.string(2, g.name)
        for v in g.params { p.message(11, valueInfo(v.name, v.type, doc: v.kind.rawValue)) }
        let values = g.values
        for o in g.outputs { if let v = values[o] { p.message(12, valueInfo(o, v.type, doc: nil)) } }
        return p
    }

    static func attribute(_ name: String, _ a: Attribute) -> Proto {
        var p = Proto()
        p.string(1, name)
        switch a {
        case .int(let v): p.int(3, v); p.int(20, 2)
        case .bool(let v): p.int(3, v ? 1 : 0); p.int(20, 2)
        case .float(let v): p.float(2, Float(v)); p.int(20, 1)
        case .string(let s): p.string(4, s); p.int(20, 3)
        case .ints(let v): for x in v { p.int(8, x) }; p.int(20, 7)
        }
        return p
    }

    static func valueInfo(_ name: String, _ t: TensorType, doc: String?) -> Proto {
        var shape = Proto()
        var dims = t.shape
        let elem: Int
        switch t.dtype {
        case .f32: elem = 1
        case .f16: elem = 10
        case .bf16: elem = 16
        case .i32: elem = 6
        default:
            elem = 2
            if case .fixed(let k)? = dims.last, let bytes = t.dtype.byteCount(forElements: k) { dims[dims.count - 1] = .fixed(bytes) }
        }
        for d in dims {
            var dim = Proto()
            switch d {
            case .fixed(let v): dim.int(1, v)
            case .symbol(let s): dim.string(2, s)
            }
            shape.message(1, dim)
        }
        var tensor = Proto(); tensor.int(1, elem); tensor.message(2, shape)
        var type = Proto(); type.message(1, tensor)
        var p = Proto(); p.string(1, name); p.message(2, type)
        if let doc { p.string(3, elem == 2 ? "\(doc) \(t)" : doc) }
        return p
    }

    /// A protobuf message being encoded: varint (wire type 0), 32-bit (5) and
    /// length-delimited (2) fields.
    struct Proto {
        var bytes: [UInt8] = []
        mutating func varint(_ v: UInt64) {
            var v = v
            while v >= 0x80 { bytes.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
            bytes.append(UInt8(v))
        }
        mutating func tag(_ field: Int, _ wire: UInt64) { varint(UInt64(field) << 3 | wire) }
        mutating func int(_ field: Int, _ v: Int) { tag(field, 0); varint(UInt64(bitPattern: Int64(v))) }
        mutating func float(_ field: Int, _ v: Float) {
            tag(field, 5)
            withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }
        mutating func data(_ field: Int, _ d: [UInt8]) { tag(field, 2); varint(UInt64(d.count)); bytes += d }
        mutating func string(_ field: Int, _ s: String) { data(field, Array(s.utf8)) }
        mutating func message(_ field: Int, _ m: Proto) { data(field, m.bytes) }
    }
}
