@testable import SluiceFrontends

/// Builds GGUF bytes in tests, valid or deliberately broken (every field written by hand).
struct GGUFTestWriter {
    var bytes: [UInt8] = []

    mutating func raw(_ b: [UInt8]) { bytes += b }
    mutating func int<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { bytes += $0 }
    }
    mutating func u32(_ v: UInt32) { int(v) }
    mutating func u64(_ v: UInt64) { int(v) }
    mutating func string(_ s: String) {
        u64(UInt64(s.utf8.count))
        bytes += Array(s.utf8)
    }

    mutating func header(version: UInt32 = 3, tensors: UInt64, metadata: UInt64) {
        raw(Array("GGUF".utf8))
        u32(version)
        u64(tensors)
        u64(metadata)
    }

    /// A value's payload (no type tag).
    mutating func payload(_ v: GGUFValue) {
        switch v {
        case .uint8(let x): int(x)
        case .int8(let x): int(x)
        case .uint16(let x): int(x)
        case .int16(let x): int(x)
        case .uint32(let x): int(x)
        case .int32(let x): int(x)
        case .uint64(let x): int(x)
        case .int64(let x): int(x)
        case .float32(let x): int(x.bitPattern)
        case .float64(let x): int(x.bitPattern)
        case .bool(let x): bytes.append(x ? 1 : 0)
        case .string(let s): string(s)
        case .array(let t, let elements):
            u32(t.rawValue)
            u64(UInt64(elements.count))
            for e in elements { payload(e) }
        }
    }

    mutating func kv(_ key: String, _ v: GGUFValue) {
        string(key)
        u32(v.type.rawValue)
        payload(v)
    }

    mutating func tensorInfo(_ name: String, dims: [UInt64], type: UInt32, offset: UInt64) {
        string(name)
        u32(UInt32(dims.count))
        for d in dims { u64(d) }
        u32(type)
        u64(offset)
    }

    mutating func pad(to alignment: Int) {
        while bytes.count % alignment != 0 { bytes.append(0) }
    }

    struct Tensor {
        var name: String
        var dims: [UInt64]
        var type: UInt32
        var data: [UInt8]
    }

    /// A complete, valid file: header, metadata, tensor infos, aligned data.
    static func file(version: UInt32 = 3, metadata: [(String, GGUFValue)], tensors: [Tensor],
                     alignment: Int = 32) -> [UInt8] {
        var w = GGUFTestWriter()
        w.header(version: version, tensors: UInt64(tensors.count), metadata: UInt64(metadata.count))
        for (k, v) in metadata { w.kv(k, v) }
        var offset = 0
        var offsets: [Int] = []
        for t in tensors {
            offsets.append(offset)
            offset += (t.data.count + alignment - 1) / alignment * alignment
        }
        for (t, o) in zip(tensors, offsets) { w.tensorInfo(t.name, dims: t.dims, type: t.type, offset: UInt64(o)) }
        w.pad(to: alignment)
        for t in tensors {
            w.raw(t.data)
            w.pad(to: alignment)
        }
        return w.bytes
    }
}
