/// Conversions from GGUF storage formats to float32, written for clarity.
public enum Dequantize {
    public static func half(_ bits: UInt16) -> Float { Float(Float16(bitPattern: bits)) }
    public static func bfloat(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    /// The first `count` values stored in `bytes` as `dtype`.
    public static func values(_ dtype: DType, _ bytes: UnsafeRawBufferPointer, count: Int) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { o in
            switch dtype {
            case .f32:
                for i in 0..<count { o[i] = Float(bitPattern: u32(bytes, 4 * i)) }
            case .i32:
                for i in 0..<count { o[i] = Float(Int32(bitPattern: u32(bytes, 4 * i))) }
            case .f16:
                for i in 0..<count { o[i] = half(u16(bytes, 2 * i)) }
            case .bf16:
                for i in 0..<count { o[i] = bfloat(u16(bytes, 2 * i)) }
            default:
                let bs = dtype.blockSize, bb = dtype.bytesPerBlock
                for b in 0..<(count / bs) {
                    block(dtype, bytes, offset: b * bb, into: o, at: b * bs)
                }
            }
        }
        return out
    }

    static func u16(_ p: UnsafeRawBufferPointer, _ off: Int) -> UInt16 {
        UInt16(p[off]) | UInt16(p[off + 1]) << 8
    }

    static func u32(_ p: UnsafeRawBufferPointer, _ off: Int) -> UInt32 {
        UInt32(p[off]) | UInt32(p[off + 1]) << 8 | UInt32(p[off + 2]) << 16 | UInt32(p[off + 3]) << 24
    }

    static func block(_ t: DType, _ p: UnsafeRawBufferPointer, offset o: Int,
                      into out: UnsafeMutableBufferPointer<Float>, at base: Int) {
        switch t {
        case .q4_0:
            let d = half(u16(p, o))
            for j in 0..<16 {
                let byte = p[o + 2 + j]
                out[base + j] = Float(Int(byte & 0x0F) - 8) * d
                out[base + j + 16] = Float(Int(byte >> 4) - 8) * d
            }
        case .q4_1:
            let d = half(u16(p, o)), m = half(u16(p, o + 2))
            for j in 0..<16 {
                let byte = p[o + 4 + j]
                out[base + j] = Float(byte & 0x0F) * d + m
                out[base + j + 16] = Float(byte >> 4) * d + m
            }
        case .q5_0, .q5_1:
            // A 5-bit value: a nibble (as in q4_0 / q4_1) and one bit of the 32-bit qh
            // (bit j for value j): q5_0 (q − 16)·d, q5_1 q·d + m.
            let d = half(u16(p, o)), one = t == .q5_1
            let m = one ? half(u16(p, o + 2)) : 0
            let hb = o + (one ? 4 : 2), qs = hb + 4
            let qh = u32(p, hb)
            for j in 0..<16 {
                let byte = p[qs + j]
                let lo = Int(byte & 0x0F) | Int((qh >> UInt32(j)) & 1) << 4
                let hi = Int(byte >> 4) | Int((qh >> UInt32(j + 16)) & 1) << 4
                out[base + j] = one ? Float(lo) * d + m : Float(lo - 16) * d
                out[base + j + 16] = one ? Float(hi) * d + m : Float(hi - 16) * d
            }
        case .q8_0:
            let d = half(u16(p, o))
            for j in 0..<32 { out[base + j] = Float(Int8(bitPattern: p[o + 2 + j])) * d }
        case .q4_k:
            q4k(p, o, out, base)
        case .q6_k:
            q6k(p, o, out, base)
        case .f32, .f16, .bf16, .i32:
            preconditionFailure("not a block type")
        }
    }

    /// Sub-block scale and min of Q4_K: 8 pairs of 6-bit numbers packed into 12 bytes.
    static func q4kScaleMin(_ s: (Int) -> UInt8, _ j: Int) -> (UInt8, UInt8) {
        if j < 4 {
            return (s(j) & 63, s(j + 4) & 63)
        }
        let sc = (s(j + 4) & 0x0F) | ((s(j - 4) >> 6) << 4)
        let mn = (s(j + 4) >> 4) | ((s(j) >> 6) << 4)
        return (sc, mn)
    }

    static func q4k(_ p: UnsafeRawBufferPointer, _ o: Int, _ out: UnsafeMutableBufferPointer<Float>, _ base: Int) {
        let d = half(u16(p, o)), dmin = half(u16(p, o + 2))
        let scales = { (i: Int) -> UInt8 in p[o + 4 + i] }
        let qs = o + 16
        // Four groups of 64 values; each group uses 32 bytes: low nibbles first, then high.
        for g in 0..<4 {
            let (sc1, m1) = q4kScaleMin(scales, 2 * g)
            let (sc2, m2) = q4kScaleMin(scales, 2 * g + 1)
            let d1 = d * Float(sc1), mm1 = dmin * Float(m1)
            let d2 = d * Float(sc2), mm2 = dmin * Float(m2)
            for l in 0..<32 {
                let byte = p[qs + 32 * g + l]
                out[base + 64 * g + l] = d1 * Float(byte & 0x0F) - mm1
                out[base + 64 * g + 32 + l] = d2 * Float(byte >> 4) - mm2
            }
        }
    }

    static func q6k(_ p: UnsafeRawBufferPointer, _ o: Int, _ out: UnsafeMutableBufferPointer<Float>, _ base: Int) {
        let ql0 = o, qh0 = o + 128, sc0 = o + 192
        let d = half(u16(p, o + 208))
        // Two halves of 128 values, each using 64 bytes of ql, 32 of qh and 8 scales.
        for h in 0..<2 {
            let ql = ql0 + 64 * h, qh = qh0 + 32 * h, sc = sc0 + 8 * h
            for l in 0..<32 {
                let isc = l / 16
                let hb = p[qh + l]
                let q1 = Int((p[ql + l] & 0x0F) | ((hb >> 0) & 3) << 4) - 32
                let q2 = Int((p[ql + l + 32] & 0x0F) | ((hb >> 2) & 3) << 4) - 32
                let q3 = Int((p[ql + l] >> 4) | ((hb >> 4) & 3) << 4) - 32
                let q4 = Int((p[ql + l + 32] >> 4) | ((hb >> 6) & 3) << 4) - 32
                let s = { (k: Int) -> Float in Float(Int8(bitPattern: p[sc + isc + k])) }
                let b = base + 128 * h
                out[b + l] = d * s(0) * Float(q1)
                out[b + l + 32] = d * s(2) * Float(q2)
                out[b + l + 64] = d * s(4) * Float(q3)
                out[b + l + 96] = d * s(6) * Float(q4)
            }
        }
    }
}
