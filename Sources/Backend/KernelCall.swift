import Foundation
import SluiceGraph

/// One kernel launch for a node: which kernel, which values at bindings 1...n (binding 0
/// is always the step values), push constants, and the workgroup grid.
public struct KernelCall {
    public var kernel: String
    public var buffers: [String]
    /// Indices into `buffers` that the kernel writes.
    public var writes: Set<Int>
    public var push: [UInt32]
    public var grid: (x: UInt32, y: UInt32)
    /// Byte windows of some buffers (index → offset and size within the value), for tensors
    /// bound in pieces because they exceed the device's maxStorageBufferRange.
    public var windows: [Int: (offset: Int, size: Int)] = [:]
    /// Values of the kernel's specialization constants (constant_id 0, 1, …), fixed when its
    /// pipeline is made; empty for the defaults compiled in.
    public var constants: [UInt32] = []
    /// Buffers of the backend's own that the call binds by name (names start with "#"), with
    /// the bytes it needs: one device buffer per name, as large as its largest use, outside the
    /// memory plan's arena (DispatchPlan.scratch; the scheduler orders their uses like values).
    public var scratch: [String: Int] = [:]

    public init(kernel: String, buffers: [String], writes: Set<Int>, push: [UInt32], grid: (x: UInt32, y: UInt32),
                windows: [Int: (offset: Int, size: Int)] = [:], constants: [UInt32] = []) {
        self.kernel = kernel; self.buffers = buffers; self.writes = writes; self.push = push; self.grid = grid
        self.windows = windows; self.constants = constants
    }
}

/// A size that depends on this run's rows: `a + b·T` (uint, wrapping, as in common.glsl).
public struct Affine: Equatable {
    public var a: UInt32
    public var b: UInt32
    public static func fixed(_ n: Int) -> Affine { Affine(a: UInt32(truncatingIfNeeded: n), b: 0) }
    public var words: [UInt32] { [a, b] }
    public func plus(_ n: Int) -> Affine { Affine(a: a &+ UInt32(truncatingIfNeeded: n), b: b) }
}

/// What a kernel lowering sees: the node, its types, resolved attributes, the largest sizes
/// the plan is made for, and the device's capabilities.
public struct LoweringContext {
    public let node: Node
    public let inputTypes: [TensorType]
    public let outputTypes: [TensorType]
    public let attributes: Attributes
    public let bindings: Bindings
    public let device: DeviceInfo

    public func fail(_ m: String) -> BackendError { .unsupported("node \(node.label): \(m)") }
    public func int(_ n: String) -> Int { attributes[n]?.intValue ?? 0 }
    public func float(_ n: String) -> Float { Float(attributes[n]?.doubleValue ?? 0) }
    public func string(_ n: String) -> String { attributes[n]?.stringValue ?? "" }

    /// "subgroup" when the device has subgroup arithmetic in compute, else "shared".
    public var reduction: String { device.subgroupArithmetic ? "subgroup" : "shared" }

    /// Whether many-row matrix products use the tiled kernel (matmul_tiled.comp): on GPUs,
    /// for plans with more than a few rows (prefill). Not on CPU drivers: a tile computes all
    /// its 64 rows whatever the run's row count, which a GPU absorbs in parallel but lavapipe
    /// pays in full (a 5-token prompt prefilled at 0.5 tok/s instead of 5).
    /// SLUICE_TILED=0|1 overrides.
    public func tiledMatmul(rows: Affine) -> Bool {
        switch environmentValue("SLUICE_TILED") {
        case "1": return maximum(rows) > 1
        case "0": return false
        default: return device.kind != .cpu && maximum(rows) >= 8
        }
    }

    /// Whether attention over many query rows uses the query-tiled kernel
    /// (attention_tiled.comp): where tiled matrix products are used (SLUICE_TILED as there),
    /// for head sizes up to 128 that, like the K/V row width, are multiples of 4, on devices
    /// with subgroup shuffles.
    public func tiledAttention(rows: Affine, headDim: Int, kvWidth: Int) -> Bool {
        device.subgroupShuffle && headDim <= 128 && headDim % 4 == 0 && kvWidth % 4 == 0 && tiledMatmul(rows: rows)
    }

    /// The matrix-core kernel for attention over many query rows, and its query rows per
    /// workgroup, or nil: attention_coop.comp (head_dim ≤ 64, the output held in registers,
    /// 64 rows a workgroup) or attention_coop_rows16.comp (16 rows, head_dim ≤ 256 split over
    /// four subgroups), on a GPU with the 16×16×16 float16 shape and subgroups of 32, where the
    /// build compiled them; head_dim and the K/V row width multiples of 4. SLUICE_COOP_ATTENTION=0 keeps the
    /// other kernels; =16, =32, =64 picks those rows a workgroup (A/B runs).
    public func coopAttention(rows: Affine, headDim: Int, kvWidth: Int, cache kv: String) -> (kernel: String, rows: Int)? {
        let env = environmentValue("SLUICE_COOP_ATTENTION")
        guard env != "0", device.coopMatF16, device.subgroupSize == 32, headDim <= 256, headDim % 4 == 0, kvWidth % 4 == 0,
              tiledMatmul(rows: rows) else { return nil }
        let d = headDim <= 64 ? 64 : (headDim <= 128 ? 128 : 256)
        if d == 64, env != "16" {
            // Shared memory: 45,056 bytes at 64 rows, 31,744 at 32.
            // 32 rows gives few heads twice the workgroups, but measured no faster (SmolLM2's
            // 9 heads, pp512 119.5k against 121–124k: docs/bench/h200-s21/c7): A/B only.
            let r = env == "32" ? 32 : 64
            if device.maxSharedMemory >= (r == 64 ? 45_056 : 31_744), SPIRV.all["attention_coop_\(r)_\(kv)"] != nil {
                return ("attention_coop_\(r)_\(kv)", r)
            }
        }
        let k = "attention_coop_rows16_\(d)_\(kv)"   // 35,136 bytes of shared memory at d = 256
        return device.maxSharedMemory >= 35_136 && SPIRV.all[k] != nil ? (k, 16) : nil
    }

    /// The variant for a matrix product with `columns` outputs of K inputs over `rows` rows,
    /// whose weight binding spans `weightBytes` (nil: the weight is bound in row windows that
    /// rowChunks(texel:) sizes). A very wide product (an LM head) on a GPU gets one
    /// invocation per column, which beats subgroups splitting K there (H200, 49,152 × 576
    /// head: 47 µs against 105); one row of it takes matmul_wide.comp instead (`wideMatmul`,
    /// 40 µs). SLUICE_MATMUL_VARIANT still overrides.
    public func matmulVariant(columns: Int, k: Int, rows: Affine, weightBytes: Int?) -> String {
        let v = environmentValue("SLUICE_MATMUL_VARIANT") == nil && columns >= 16384 && device.kind != .cpu
            ? "shared" : matmulVariant
        guard v == "texel" else { return v }
        // The texel variant reads x four floats per texel and needs both views within the
        // device's texel limit; otherwise the CPU gets the plain "shared" shape.
        let texels = device.maxTexelBufferElements
        let fits = k % 4 == 0 && UInt64(maximum(rows) * k / 4) <= texels && UInt64((weightBytes ?? 0) / 4) <= texels
        return fits ? "texel" : "shared"
    }

    /// Whether a product runs as matmul_wide.comp: one row at most, K a multiple of 32 within
    /// its staged row (4096 floats: 16 KiB of the 32 KiB of shared memory Vulkan guarantees), on a GPU with subgroup arithmetic, at least 16384 columns (an
    /// LM head) — or any such product under SLUICE_MATMUL_VARIANT=wide (tests).
    public func wideMatmul(columns: Int, k: Int, rows: Affine) -> Bool {
        let env = environmentValue("SLUICE_MATMUL_VARIANT")
        guard maximum(rows) == 1, k % 32 == 0, k <= 4096, device.subgroupArithmetic, device.subgroupSize >= 4 else { return false }
        return env == "wide" || (env == nil && columns >= 16384 && device.kind != .cpu)
    }

    /// The head-size variant of attention_lanes.comp (one invocation per row and head, for
    /// CPU drivers), or nil for the workgroup kernels: where the matrix kernels take the texel
    /// shape (so SLUICE_MATMUL_VARIANT=shared tests the others on a CPU driver too), for a
    /// float32 cache whose rows, like the heads, are whole four-float texels, and whose
    /// largest view (`floats`, the cache or q) is within the device's texel limit.
    public func laneAttention(headDim: Int, kvWidth: Int, cache: String, floats: Int) -> Int? {
        guard matmulVariant == "texel", cache == "f32", headDim % 4 == 0, kvWidth % 4 == 0,
              UInt64(floats / 4) <= device.maxTexelBufferElements else { return nil }
        return [64, 128, 256].first { headDim <= $0 }
    }

    /// The matrix kernel's variant: on CPU drivers (lavapipe runs a workgroup as one thread
    /// and a subgroup as one SIMD register) one invocation per output column is faster than
    /// lanes splitting K, and reading x and the weights through texel buffers ("texel") is
    /// faster than through storage buffers ("shared"; KernelBindings.swift says why).
    /// SLUICE_MATMUL_VARIANT=subgroup|shared|texel overrides (to test every shape on one device).
    public var matmulVariant: String {
        switch environmentValue("SLUICE_MATMUL_VARIANT") {
        case "subgroup" where device.subgroupMatmul: return "subgroup"
        case "shared": return "shared"
        case "texel": return "texel"
        default: return device.defaultMatmulVariant
        }
    }

    /// Product of `dims` as a function of T (every other symbol bound to its planned size).
    public func affine(_ dims: [Dim]) throws -> Affine {
        func eval(_ t: Int) throws -> Int {
            var b = bindings; b["T"] = t
            var p = 1
            for d in dims {
                guard let v = d.resolve(b) else { throw fail("unbound symbol in \(dims)") }
                p *= v
            }
            return p
        }
        let f0 = try eval(0), f1 = try eval(1), f2 = try eval(2)
        guard f2 - f1 == f1 - f0 else { throw fail("size \(dims) is not linear in T") }
        guard f0 <= Int(UInt32.max), f1 - f0 <= Int(UInt32.max) else { throw fail("size \(dims) exceeds 32 bits") }
        return Affine(a: UInt32(f0), b: UInt32(f1 - f0))
    }

    /// All dims but the last, as a function of T.
    public func rows(_ t: TensorType) throws -> Affine { try affine(Array(t.shape.dropLast())) }
    public func elements(_ t: TensorType) throws -> Affine { try affine(t.shape) }

    /// The most bytes one binding may span (SLUICE_MAX_BINDING lowers it, for tests).
    public var maxBinding: Int {
        let dev = Int(min(device.maxStorageBufferRange, UInt64(Int.max)))
        if let s = environmentValue("SLUICE_MAX_BINDING"), let v = Int(s), v > 0 { return min(v, dev) }
        return dev
    }

    /// Row ranges of a [rows, K] weight such that each range's bytes fit one binding and
    /// start at an allowed offset.
    /// With `texel`, the ranges also fit a uniform texel buffer of 4-byte texels.
    public func rowChunks(rows: Int, rowBytes: Int, texel: Bool = false) throws -> [Range<Int>] {
        let texelLimit = Int(min(device.maxTexelBufferElements, UInt64(Int.max / 4))) * 4
        let limit = texel ? min(maxBinding, texelLimit) : maxBinding
        if rows * rowBytes <= limit { return [0..<rows] }
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
        let storageAlign = max(1, Int(device.minStorageBufferOffsetAlignment))
        let texelAlign = max(1, Int(device.minTexelBufferOffsetAlignment))
        let align = texel ? storageAlign / gcd(storageAlign, texelAlign) * texelAlign : storageAlign
        let step = align / gcd(rowBytes, align)
        let per = limit / rowBytes / step * step
        guard per > 0 else { throw fail("one row of \(rowBytes) bytes does not fit a binding of \(limit) bytes") }
        return stride(from: 0, to: rows, by: per).map { $0 ..< min(rows, $0 + per) }
    }

    /// The largest value of `a` (at the planned T).
    public func maximum(_ a: Affine) -> Int { Int(a.a) + Int(a.b) * (bindings["T"] ?? 0) }

    /// A concrete dim (throws for symbols).
    public func fixed(_ d: Dim?, _ what: String) throws -> Int {
        guard let n = d?.fixedValue else { throw fail("\(what) must be a fixed size") }
        return n
    }

    /// Workgroups to cover `count` items, `per` per group, within the device's limit.
    public func groups(_ count: Int, per: Int = 1) -> UInt32 {
        UInt32(max(1, min((count + per - 1) / per, Int(min(device.maxWorkGroupCount.0, device.maxWorkGroupCount.1, 65535)))))
    }
}

public typealias KernelLowering = @Sendable (LoweringContext) throws -> [KernelCall]

/// Op name → how to launch it. The standard ops are registered here; a new fused op
/// registers its lowering next to its `OpDefinition`.
public final class KernelRegistry: @unchecked Sendable {
    private var lowerings: [String: KernelLowering]
    private let lock = NSLock()

    public init(_ entries: [String: KernelLowering]) { lowerings = entries }

    public static let shared = KernelRegistry(StandardKernels.all)

    public func register(op: String, _ lowering: @escaping KernelLowering) {
        lock.lock(); lowerings[op] = lowering; lock.unlock()
    }

    public func lowering(_ op: String) -> KernelLowering? {
        lock.lock(); defer { lock.unlock() }
        return lowerings[op]
    }

    public var ops: [String] { lock.lock(); defer { lock.unlock() }; return lowerings.keys.sorted() }
}
