/// Float32 → storage-format encoders, used to make random weights for tests and `--synthetic`
/// models. Simple round-to-nearest, like GGUF's reference quantizers.
public enum Quantize {
    /// Encodes `values` (count a multiple of the block size) as `dtype`. K-quant types are
    /// not encoded from values: use `randomBytes` for them.
    public static func encode(_ values: [Float], as dtype: DType) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(dtype.byteCount(forElements: values.count) ?? 0)
        func put16(_ v: UInt16) { out.append(UInt8(v & 0xFF)); out.append(UInt8(v >> 8)) }
        func half(_ f: Float) -> UInt16 { Float16(f).bitPattern }
        switch dtype {
        case .f32:
            for v in values { let b = v.bitPattern; for s in stride(from: 0, to: 32, by: 8) { out.append(UInt8((b >> UInt32(s)) & 0xFF)) } }
        case .i32:
            for v in values { let b = UInt32(bitPattern: Int32(v)); for s in stride(from: 0, to: 32, by: 8) { out.append(UInt8((b >> UInt32(s)) & 0xFF)) } }
        case .f16:
            for v in values { put16(half(v)) }
        case .bf16:
            for v in values { put16(UInt16(v.bitPattern >> 16)) }
        case .q8_0:
            for b in stride(from: 0, to: values.count, by: 32) {
                let blk = values[b..<b + 32]
                let amax = blk.map(abs).max() ?? 0
                let d = amax / 127
                let dh = Float(Float16(d))
                put16(half(d))
                for v in blk { out.append(UInt8(bitPattern: Int8(clamping: dh == 0 ? 0 : Int((v / dh).rounded())))) }
            }
        case .q4_0:
            for b in stride(from: 0, to: values.count, by: 32) {
                let blk = Array(values[b..<b + 32])
                // The value of largest magnitude maps to -8, as GGUF's reference does.
                let mx = blk.max(by: { abs($0) < abs($1) }) ?? 0
                let d = mx / -8
                let dh = Float(Float16(d))
                put16(half(d))
                let q = blk.map { dh == 0 ? 8 : min(15, max(0, Int(($0 / dh).rounded()) + 8)) }
                for j in 0..<16 { out.append(UInt8(q[j] | q[j + 16] << 4)) }
            }
        case .q4_1:
            for b in stride(from: 0, to: values.count, by: 32) {
                let blk = Array(values[b..<b + 32])
                let mn = blk.min() ?? 0, mx = blk.max() ?? 0
                let d = (mx - mn) / 15
                let dh = Float(Float16(d)), mh = Float(Float16(mn))
                put16(half(d)); put16(half(mn))
                let q = blk.map { dh == 0 ? 0 : min(15, max(0, Int((($0 - mh) / dh).rounded()))) }
                for j in 0..<16 { out.append(UInt8(q[j] | q[j + 16] << 4)) }
            }
        case .q5_0, .q5_1:
            // As GGUF's reference quantizers: q5_0 maps the value of largest magnitude to
            // -16; q5_1 spans min … max in 31 steps.
            let one = dtype == .q5_1
            for b in stride(from: 0, to: values.count, by: 32) {
                let blk = Array(values[b..<b + 32])
                let q: [Int]
                if one {
                    let mn = blk.min() ?? 0, mx = blk.max() ?? 0
                    let d = (mx - mn) / 31
                    let dh = Float(Float16(d)), mh = Float(Float16(mn))
                    put16(half(d)); put16(half(mn))
                    q = blk.map { dh == 0 ? 0 : min(31, max(0, Int((($0 - mh) / dh).rounded()))) }
                } else {
                    let mx = blk.max(by: { abs($0) < abs($1) }) ?? 0
                    let d = mx / -16
                    let dh = Float(Float16(d))
                    put16(half(d))
                    q = blk.map { dh == 0 ? 16 : min(31, max(0, Int(($0 / dh).rounded()) + 16)) }
                }
                var qh: UInt32 = 0
                for j in 0..<32 where q[j] & 16 != 0 { qh |= 1 << UInt32(j) }
                for s in stride(from: 0, to: 32, by: 8) { out.append(UInt8((qh >> UInt32(s)) & 0xFF)) }
                for j in 0..<16 { out.append(UInt8((q[j] & 15) | (q[j + 16] & 15) << 4)) }
            }
        case .q4_k, .q6_k:
            preconditionFailure("use Quantize.randomBytes for k-quants")
        }
        return out
    }

    /// Random but well-formed storage for `count` values of `dtype` with magnitudes around `scale`.
    public static func randomBytes(_ dtype: DType, count: Int, scale: Float, rng: inout SplitMix64) -> [UInt8] {
        switch dtype {
        case .q4_k, .q6_k:
            let blocks = count / 256
            var out: [UInt8] = []
            for _ in 0..<blocks {
                var blk = (0..<dtype.bytesPerBlock).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                let d = Float16(scale / (dtype == .q4_k ? 8 * 63 : 32 * 64)).bitPattern
                let off = dtype == .q4_k ? 0 : 208
                blk[off] = UInt8(d & 0xFF); blk[off + 1] = UInt8(d >> 8)
                if dtype == .q4_k {
                    let dmin = Float16(scale / (63 * 2)).bitPattern
                    blk[2] = UInt8(dmin & 0xFF); blk[3] = UInt8(dmin >> 8)
                }
                out += blk
            }
            return out
        default:
            let vals = (0..<count).map { _ in rng.nextSignedUnit() * scale }
            return encode(vals, as: dtype)
        }
    }
}

/// A small deterministic random generator (SplitMix64), for reproducible `--seed` runs.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    public mutating func nextSignedUnit() -> Float {
        Float(next() >> 40) / Float(1 << 24) * 2 - 1
    }
}
