import Foundation
import SluiceGraph

/// Lowerings of the standard operators onto the kernels in Kernels/.
enum StandardKernels {
    static let weightTypes: Set<DType> = [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_k, .q6_k]
    /// The weight types of the kernels that issue a piece's loads apart from decoding it
    /// (weights.glsl's raw8/decode8: the persistent kernel, the LM head's matmul_wide and
    /// head_chain; matmul_wide decodes the K-quants whole, with dequant8).
    static let splitLoadTypes: Set<DType> = [.f32, .f16, .bf16, .q4_0, .q4_1, .q8_0]

    static func weightVariant(_ c: LoweringContext, _ t: DType, _ role: String, allowed: Set<DType> = weightTypes) throws -> String {
        guard allowed.contains(t) else {
            throw c.fail("\(role) in \(t.rawValue) has no kernel yet (supported: \(allowed.map(\.rawValue).sorted().joined(separator: ", ")))")
        }
        return t.rawValue
    }

    static var all: [String: KernelLowering] {
        var table: [String: KernelLowering] = [:]
        // The matrix kernels, each plain, with an RMS-norm prologue, and with add + RMS norm.
        for base in ["matmul", "qkv_rope", "matmul_swiglu", "matmul_geglu"] {
            table[base] = { c in try matrix(c, base, norm: "none") }
            table["rms_" + base] = { c in try matrix(c, base, norm: "rms") }
            table["add_rms_" + base] = { c in try matrix(c, base, norm: "addrms") }
        }
        return table.merging(others) { a, _ in a }
    }

    static var others: [String: KernelLowering] {
        [
            "embedding": { c in
                let table = c.inputTypes[0]
                let rows = try c.elements(c.inputTypes[1])
                let d = try c.fixed(table.shape[1], "D"), vocab = try c.fixed(table.shape[0], "V")
                let v = try weightVariant(c, table.dtype, "the table")
                // A table bigger than one binding is bound in row windows; each dispatch
                // writes the rows whose ids fall in its window.
                let rowBytes = table.dtype.byteCount(forElements: d)!
                let chunks = try c.rowChunks(rows: vocab, rowBytes: rowBytes)
                return chunks.map { r in
                    KernelCall(kernel: "embedding_\(v)", buffers: [c.node.inputs[0], c.node.inputs[1], c.node.outputs[0].name],
                               writes: [2], push: rows.words + [UInt32(d), UInt32(r.count), UInt32(r.lowerBound)],
                               grid: (c.groups(c.maximum(rows) * d, per: 256), 1),
                               windows: chunks.count == 1 ? [:] : [0: (r.lowerBound * rowBytes, r.count * rowBytes)])
                }
            },
            "rms_norm": { c in try norm(c, "rms") },
            "layer_norm": { c in try norm(c, "layer") },
            "add_rms_norm": { c in try norm(c, "rms", add: true) },
            "add_layer_norm": { c in try norm(c, "layer", add: true) },
            "add_post_rms_norm": { c in
                let rows = try c.rows(c.inputTypes[0]), d = try c.fixed(c.inputTypes[0].shape.last, "the row size")
                let bufs = c.node.inputs + c.node.outputs.map(\.name)
                return [KernelCall(kernel: "post_norm_\(c.reduction)", buffers: bufs, writes: [4, 5],
                                   push: rows.words + [UInt32(d), c.float("eps").bitPattern, c.float("post_eps").bitPattern],
                                   grid: (c.groups(c.maximum(rows)), 1), constants: [c.device.kind == .cpu ? 64 : 256])]
            },
            "add": { c in try binary(c, 0) },
            "mul": { c in try binary(c, 1) },
            "scale": { c in try unary(c, 0, c.float("value")) },
            "silu": { c in try unary(c, 1, 0) },
            "gelu": { c in try unary(c, c.string("approx") == "erf" ? 3 : 2, 0) },
            "softmax": { c in
                let rows = try c.rows(c.inputTypes[0]), d = try c.fixed(c.inputTypes[0].shape.last, "the row size")
                return [KernelCall(kernel: "softmax_\(c.reduction)", buffers: [c.node.inputs[0], c.node.outputs[0].name], writes: [1],
                                   push: rows.words + [UInt32(d)], grid: (c.groups(c.maximum(rows)), 1))]
            },
            "argmax": { c in
                let rows = try c.rows(c.inputTypes[0]), d = try c.fixed(c.inputTypes[0].shape.last, "the row size")
                return [KernelCall(kernel: "argmax", buffers: [c.node.inputs[0], c.node.outputs[0].name], writes: [1],
                                   push: rows.words + [UInt32(d)], grid: (c.groups(c.maximum(rows)), 1))]
            },
            "argmax_split": { c in
                let rows = try c.rows(c.inputTypes[0]), d = try c.fixed(c.inputTypes[0].shape.last, "the row size")
                // x, counters, y, partials; the counters are updated in place.
                return [KernelCall(kernel: "argmax_split", buffers: Array(c.node.inputs) + [c.node.outputs[0].name, c.node.outputs[1].name],
                                   writes: [1, 2, 3], push: rows.words + [UInt32(d), UInt32(c.int("slices"))],
                                   grid: (UInt32(c.int("slices")), c.groups(c.maximum(rows))))]
            },
            "rope": { c in try rope(c) },
            "rope_scaled": { c in try rope(c) },
            "rms_rope": { c in
                let rows = try c.affine([c.inputTypes[0].shape[0]])
                let hd = c.int("head_dim"), dims = c.int("dims") == 0 ? hd : c.int("dims")
                guard hd <= 1024 else { throw c.fail("head_dim \(hd) > 1024 has no kernel") }
                let v = try weightVariant(c, c.inputTypes[1].dtype, "the norm weight", allowed: [.f32, .f16, .bf16])
                return [KernelCall(kernel: "rope_norm_\(v)_\(c.reduction)", buffers: c.node.inputs + [c.node.outputs[0].name], writes: [2],
                                   push: rows.words + [UInt32(c.int("heads")), UInt32(hd), UInt32(dims), c.string("mode") == "half" ? 1 : 0,
                                                       c.float("base").bitPattern, c.float("eps").bitPattern],
                                   grid: (c.groups(c.maximum(rows) * c.int("heads")), 1))]
            },
            "attention": { c in
                let rows = try c.affine([c.inputTypes[0].shape[0]])
                let kv = try cacheVariant(c, c.inputTypes[1])
                guard c.int("head_dim") <= 256 else { throw c.fail("head_dim \(c.int("head_dim")) > 256 has no kernel") }
                let push = rows.words + [UInt32(c.int("heads")), UInt32(c.int("kv_heads")), UInt32(c.int("head_dim")),
                                         UInt32(c.int("window")), c.float("scale").bitPattern]
                if let (kernel, per) = c.coopAttention(rows: rows, headDim: c.int("head_dim"), kvWidth: c.int("kv_heads") * c.int("head_dim"), cache: kv) {
                    // Many rows on matrix cores: 64, 32 or 16 query rows per workgroup.
                    return [KernelCall(kernel: kernel, buffers: c.node.inputs + [c.node.outputs[0].name],
                                       writes: [3], push: push, grid: (UInt32(c.int("heads")), c.groups(c.maximum(rows), per: per)))]
                }
                if c.tiledAttention(rows: rows, headDim: c.int("head_dim"), kvWidth: c.int("kv_heads") * c.int("head_dim")) {
                    // Many rows: 32 query rows per workgroup share each staged K/V tile.
                    return [KernelCall(kernel: "attention_tiled_\(c.int("head_dim") <= 64 ? 64 : 128)_\(kv)", buffers: c.node.inputs + [c.node.outputs[0].name],
                                       writes: [3], push: push, grid: (UInt32(c.int("heads")), c.groups(c.maximum(rows), per: 32)))]
                }
                let cacheRows = c.maximum(try c.affine([c.inputTypes[1].shape[0]]))
                let kvWidth = c.int("kv_heads") * c.int("head_dim")
                let floats = max(cacheRows * kvWidth, c.maximum(rows) * c.int("heads") * c.int("head_dim"))
                if let hd = c.laneAttention(headDim: c.int("head_dim"), kvWidth: kvWidth, cache: kv, floats: floats) {
                    // CPU drivers: one invocation per (row, head), no barriers.
                    return [KernelCall(kernel: "attention_lanes_\(hd)", buffers: c.node.inputs + [c.node.outputs[0].name], writes: [3],
                                       push: push, grid: (c.groups(c.int("heads"), per: 8), c.groups(c.maximum(rows))))]
                }
                return [KernelCall(kernel: "attention_\(c.reduction)_\(kv)", buffers: c.node.inputs + [c.node.outputs[0].name], writes: [3],
                                   push: push, grid: (c.groups(c.int("heads")), c.groups(c.maximum(rows))))]
            },
            "attention_split": { c in
                let rows = try c.affine([c.inputTypes[0].shape[0]])
                let kv = try cacheVariant(c, c.inputTypes[1])
                guard c.int("head_dim") <= 256 else { throw c.fail("head_dim \(c.int("head_dim")) > 256 has no kernel") }
                // q, k, v, counters, y, partials; the counters are updated in place.
                return [KernelCall(kernel: "attention_split_\(c.reduction)_\(kv)", buffers: Array(c.node.inputs) + [c.node.outputs[0].name, c.node.outputs[1].name],
                                   writes: [3, 4, 5],
                                   push: rows.words + [UInt32(c.int("heads")), UInt32(c.int("kv_heads")), UInt32(c.int("head_dim")),
                                                       UInt32(c.int("window")), c.float("scale").bitPattern, UInt32(c.int("splits"))],
                                   grid: (c.groups(c.int("heads") * c.int("splits")), c.groups(c.maximum(rows))))]
            },
            "kv_write": { c in
                let cache = c.inputTypes[0], x = c.inputTypes[1]
                let rows = try c.affine([x.shape[0]]), w = try c.fixed(x.shape[1], "the row size")
                let cap = try c.affine([cache.shape[0]])
                return [KernelCall(kernel: "kv_write_\(try cacheVariant(c, cache))", buffers: [c.node.inputs[0], c.node.inputs[1]], writes: [0],
                                   push: rows.words + [UInt32(w), cap.a], grid: (c.groups(c.maximum(rows) * w, per: 256), 1))]
            },
            "positions": { c in
                let n = try c.elements(c.outputTypes[0])
                return [KernelCall(kernel: "positions", buffers: [c.node.outputs[0].name], writes: [0], push: n.words,
                                   grid: (c.groups(c.maximum(n), per: 64), 1))]
            },
            "reshape": { _ in [] },
            "slice": { c in
                let x = c.inputTypes[0], axis = c.int("axis"), start = c.int("start")
                let srcAxis = try c.affine([x.shape[axis]])
                let len = try c.affine([c.outputTypes[0].shape[axis]])
                let srcStart = start < 0 ? srcAxis.plus(start) : Affine.fixed(start)
                return [try copy(c, from: c.node.inputs[0], type: x, axis: axis, srcAxis: srcAxis, srcStart: srcStart,
                                 len: len, dstAxis: len, dstStart: .fixed(0))]
            },
            "concat": { c in
                let a = c.inputTypes[0], b = c.inputTypes[1], axis = c.int("axis")
                let la = try c.affine([a.shape[axis]]), lb = try c.affine([b.shape[axis]])
                let total = try c.affine([c.outputTypes[0].shape[axis]])
                return [try copy(c, from: c.node.inputs[0], type: a, axis: axis, srcAxis: la, srcStart: .fixed(0), len: la, dstAxis: total, dstStart: .fixed(0)),
                        try copy(c, from: c.node.inputs[1], type: b, axis: axis, srcAxis: lb, srcStart: .fixed(0), len: lb, dstAxis: total, dstStart: la)]
            },
        ]
    }

    /// The matrix kernels (matvec.glsl): matmul, qkv_rope (RoPE and cache writes in the
    /// epilogue), matmul_swiglu and matmul_geglu (the worked example of README.md § "Writing
    /// a fusion pass"), each optionally with the RMS-norm prologue (prologue.glsl).
    static func matrix(_ c: LoweringContext, _ base: String, norm: String) throws -> [KernelCall] {
        let prefix = norm == "addrms" ? 3 : (norm == "rms" ? 2 : 1)   // x [, b] [, norm weight]
        let x = c.inputTypes[0], w = c.inputTypes[prefix]
        let rows = try c.rows(x)
        let k = try c.fixed(w.shape[1], "K"), n = try c.fixed(w.shape[0], "the weight rows")
        let v = try weightVariant(c, w.dtype, "the weight")
        let outs = c.node.outputs.map(\.name)
        let own = norm == "addrms" ? Array(outs.dropFirst()) : outs
        let eps = c.float("eps").bitPattern
        var buffers = Array(c.node.inputs.prefix(prefix + 1))   // x [, b] [, norm weight], w
        var push = rows.words + [UInt32(k)]
        // Output columns of the dispatch for a range of weight rows, and the push-constant tail.
        var columns: (Range<Int>) -> Int = { $0.count / 2 }
        var tail: (Range<Int>) -> [UInt32] = { _ in [eps] }
        var chunks = [0..<n]
        guard let rowBytes = w.dtype.byteCount(forElements: k) else {
            throw c.fail("the weight's rows of \(k) values are not whole \(w.dtype.rawValue) blocks")
        }
        let variant = c.matmulVariant(columns: n, k: k, rows: rows, weightBytes: base == "matmul" ? nil : n * rowBytes)
        // The K/V cache type, for the kernels that write the caches.
        var kv = ""
        switch base {
        case "qkv_rope":
            kv = try cacheVariant(c, c.inputTypes[prefix + 1])
            let hd = c.int("head_dim"), dims = c.int("dims") == 0 ? hd : c.int("dims")
            let cap = try c.affine([c.inputTypes[prefix + 1].shape[0]])
            buffers += [own[0], c.node.inputs[prefix + 1], c.node.inputs[prefix + 2]]
            push += [UInt32(c.int("heads")), UInt32(c.int("kv_heads")), UInt32(hd), UInt32(dims),
                     c.string("mode") == "half" ? 1 : 0, c.float("base").bitPattern, cap.a]
        case "matmul":
            // A weight bigger than one binding is bound in row windows, one dispatch each.
            buffers += own
            chunks = try c.rowChunks(rows: n, rowBytes: rowBytes, texel: variant == "texel")
            columns = { $0.count }
            tail = { [UInt32($0.count), eps, UInt32(n), UInt32($0.lowerBound)] }
        default:
            buffers += own
            push += [UInt32(n / 2)] + (base == "matmul_geglu" ? [c.string("approx") == "erf" ? 1 : 0] : [])
        }
        if norm == "addrms" { buffers.append(outs[0]) }
        let writes = Set(buffers.indices.filter { i in outs.contains(buffers[i]) || (base == "qkv_rope" && (i == prefix + 2 || i == prefix + 3)) })
        let windows: (Range<Int>) -> [Int: (Int, Int)] = { r in chunks.count == 1 ? [:] : [prefix: (r.lowerBound * rowBytes, r.count * rowBytes)] }
        if norm == "none", k % 32 == 0, c.tiledMatmul(rows: rows) {
            // Many rows: 64×64 tiles with the weights staged once per 64 rows; on matrix
            // cores where the device has them and the build compiled matmul_coop.comp (same
            // bindings, push constants and grid), with 128-row tiles (tall) or 128 × 128 ones
            // (wide) for the big products.
            let coop = c.device.coopMatF16 && SPIRV.all["matmul_coop_\(v)_none"] != nil
            let glu = base != "matmul"
            let tileCols = base == "qkv_rope" || glu ? 32 : 64
            let outColumns = base == "qkv_rope" ? n / 2 : (glu ? n / 2 : n)
            let wide = coop && coopWide(c, rows: c.maximum(rows), columns: outColumns, tileColumns: 2 * tileCols)
            let tall = wide || (coop && coopTall(c, rows: c.maximum(rows), columns: outColumns, tileColumns: tileCols))
            let tiled = wide ? "matmul_coop_wide" : (tall ? "matmul_coop_tall" : (coop ? "matmul_coop" : "matmul_tiled"))
            let rowGroups = c.groups(c.maximum(rows), per: tall ? 128 : 64)
            let perGroup = wide ? 2 * tileCols : tileCols
            // The input rows as float16, made once for the product (half_rows.comp) where its
            // column tiles would re-read many of them.
            var pre: [KernelCall] = [], input = buffers, kernel = tiled, scratch: [String: Int] = [:]
            if coop && coopHalfInput(c, rows: c.maximum(rows), k: k, columns: outColumns, tileColumns: perGroup, kernel: tiled, weight: v) {
                scratch = [halfRows: c.maximum(rows) * k * 2]
                pre = [KernelCall(kernel: "half_rows", buffers: [buffers[0], halfRows], writes: [1], push: rows.words + [UInt32(k)],
                                  grid: (UInt32(min((c.maximum(rows) * k / 8 + 255) / 256, 65_535)), 1))]
                pre[0].scratch = scratch
                input[0] = halfRows
                kernel += "_x16"
            }
            if base == "qkv_rope" {
                var call = KernelCall(kernel: "\(kernel)_\(v)_\(kv == "f16" ? "qkvh" : "qkv")", buffers: input, writes: writes, push: push + tail(0..<n),
                                      grid: (c.groups(n / 2, per: perGroup), rowGroups))
                call.scratch = scratch
                return pre + [call]
            }
            let epi = base == "matmul_swiglu" ? "swiglu" : (base == "matmul_geglu" ? "geglu" : "none")
            let erf: UInt32 = base == "matmul_geglu" && c.string("approx") == "erf" ? 1 : 0
            return pre + chunks.map { r in
                let cols = glu ? n / 2 : r.count
                var call = KernelCall(kernel: "\(kernel)_\(v)_\(epi)", buffers: input, writes: writes,
                                      push: rows.words + [UInt32(k), UInt32(cols), eps, UInt32(glu ? cols : n), UInt32(glu ? 0 : r.lowerBound), erf],
                                      grid: (c.groups(cols, per: perGroup), rowGroups), windows: windows(r))
                call.scratch = scratch
                return call
            }
        }
        // One row of a very wide product (an LM head) on a GPU: matmul_wide.comp.
        if base == "matmul", chunks.count == 1, c.wideMatmul(columns: n, k: k, rows: rows) {
            return [KernelCall(kernel: "matmul_wide_\(v)_\(norm)", buffers: buffers, writes: writes, push: push + tail(0..<n),
                               grid: (wideGroups(c, columns: n), 1))]
        }
        // The texel variant's rows per tile (matvec.glsl): 8 when the plan has several rows.
        let tile = variant == "texel" && c.maximum(rows) > 1 ? 8 : 1
        return chunks.map { r in
            KernelCall(kernel: "\(base)_\(v)_\(variant)_\(norm)\(kv.isEmpty ? "" : "_" + kv)", buffers: buffers, writes: writes, push: push + tail(r),
                       grid: (matvecGroups(c, variant, columns: columns(r)), c.groups(c.maximum(rows), per: variant == "texel" ? tile : 4)),
                       windows: windows(r), constants: variant == "texel" ? [UInt32(tile)] : [])
        }
    }

    /// Whether a many-row product on matrix cores takes matmul_coop_tall.comp's 128-row tiles:
    /// where the device runs subgroups of 32 (the kernel needs eight a workgroup), says how many
    /// multiprocessors it has, and the product still has at least four 128-row tiles per
    /// multiprocessor (fewer, and the 64-row kernel's twice as many workgroups keep more of the
    /// GPU busy). SLUICE_COOP_TALL=0 / 1: never / wherever the device allows (A/B runs).
    static func coopTall(_ c: LoweringContext, rows: Int, columns: Int, tileColumns: Int) -> Bool {
        guard c.device.subgroupSize == 32, let sms = c.device.multiprocessors,
              SPIRV.all["matmul_coop_tall_f32_none"] != nil else { return false }
        switch environmentValue("SLUICE_COOP_TALL") {
        case "0": return false
        case "1": return true
        default: return (rows + 127) / 128 * ((columns + tileColumns - 1) / tileColumns) >= 4 * sms
        }
    }

    /// Whether a many-row product on matrix cores takes matmul_coop_wide.comp's 128 × 128 tiles
    /// (512 invocations, which every device with these matrix cores allows; 36 KiB of shared
    /// memory): where the tall kernel could run and the product still has at least two such
    /// tiles per multiprocessor (TinyLlama's gate/up at 512 rows: 4 × 88 on 132). Its input
    /// rows are read half as often as the tall kernel's, which is what these products wait on
    /// (docs/bench/h200-s23 c3); with fewer tiles the idle multiprocessors cost more (c4).
    /// SLUICE_COOP_WIDE=0 / 1: never / wherever the device allows (A/B runs).
    static func coopWide(_ c: LoweringContext, rows: Int, columns: Int, tileColumns: Int) -> Bool {
        guard c.device.subgroupSize == 32, let sms = c.device.multiprocessors, c.device.maxSharedMemory >= 36_864,
              SPIRV.all["matmul_coop_wide_f32_none"] != nil else { return false }
        switch environmentValue("SLUICE_COOP_WIDE") {
        case "0": return false
        case "1": return true
        default: return (rows + 127) / 128 * ((columns + tileColumns - 1) / tileColumns) >= 2 * sms
        }
    }

    /// The scratch buffer of the float16 input rows (coopHalfInput).
    static let halfRows = "#x16"

    /// Whether a product on matrix cores reads its input rows as float16 made once for it
    /// (half_rows.comp, one more dispatch and barrier) instead of rounding them in every column
    /// tile: where the build has the `_x16` kernel, K is a multiple of 8 and the column tiles
    /// would read at least 64 MiB of float16 rows between them (TinyLlama's products at 512 rows;
    /// not SmolLM2's, whose products are too small to repay the dispatch). These products wait on
    /// their input rows (docs/bench/h200-s23 c3). SLUICE_COOP_X16=0 / 1: never / always (A/B runs).
    static func coopHalfInput(_ c: LoweringContext, rows: Int, k: Int, columns: Int, tileColumns: Int, kernel: String, weight: String) -> Bool {
        guard k % 8 == 0, SPIRV.all["\(kernel)_x16_\(weight)_none"] != nil, SPIRV.all["half_rows"] != nil else { return false }
        switch environmentValue("SLUICE_COOP_X16") {
        case "0": return false
        case "1": return true
        default: return rows * k * 2 * ((columns + tileColumns - 1) / tileColumns) >= 64 << 20
        }
    }

    /// matmul_wide.comp's workgroup count (the kernel strides over groups of four columns per
    /// subgroup): where the multiprocessor count is known, four workgroups on each while
    /// every subgroup still has a group — one even wave (the kernel takes 44 registers on
    /// the H200, so five would fit; 49,152 columns: 528 workgroups, the head 35.8 µs against
    /// 40.9 with 384, which left some multiprocessors two and others three); elsewhere about
    /// four groups a subgroup. SLUICE_WIDE_GROUPS sets the count (A/B runs).
    static func wideGroups(_ c: LoweringContext, columns n: Int) -> UInt32 {
        if let g = environmentValue("SLUICE_WIDE_GROUPS").flatMap(UInt32.init) { return max(1, g) }
        let subgroups = 256 / max(c.device.subgroupSize, 1)
        if let sms = c.device.multiprocessors, n >= 4 * sms * subgroups * 4 { return UInt32(4 * sms) }
        return c.groups(n, per: subgroups * 16)
    }

    /// The kernel variant for a K/V cache of type `t`: "f32", or "f16" where the device has
    /// 16-bit storage buffers.
    static func cacheVariant(_ c: LoweringContext, _ t: TensorType) throws -> String {
        switch t.dtype {
        case .f32: return "f32"
        case .f16:
            guard c.device.storage16 else {
                throw c.fail("a float16 K/V cache needs 16-bit storage buffers (storageBuffer16BitAccess), which \(c.device.name) lacks; use a float32 cache (--kv-cache f32)")
            }
            return "f16"
        default: throw c.fail("K/V cache of type \(t.dtype.rawValue) has no kernel (f32, f16)")
        }
    }

    /// The plain matrix kernels' workgroup count: a workgroup per columnsPerGroup columns, and
    /// for the subgroup variant, where the multiprocessor count is known, at most two on each
    /// (SLUICE_MATVEC_GROUPS sets how many; 0: no limit): the kernels stride over the columns,
    /// so each workgroup stages its row once and all of them are resident in one wave. H200, a
    /// Q4_K_M-style TinyLlama (gate/up: 704 workgroups uncapped), tg128 730 against 690
    /// uncapped, 1 a multiprocessor 659, 3 700, 4 704–708 (docs/bench/h200-s20/c3).
    static func matvecGroups(_ c: LoweringContext, _ variant: String, columns: Int) -> UInt32 {
        let g = c.groups(columns, per: columnsPerGroup(c, variant))
        let per = environmentValue("SLUICE_MATVEC_GROUPS").flatMap(Int.init) ?? 2
        guard variant == "subgroup", let sms = c.device.multiprocessors, per > 0 else { return g }
        return min(g, UInt32(per * sms))
    }

    /// Output columns one workgroup of the matrix kernels covers.
    static func columnsPerGroup(_ c: LoweringContext, _ variant: String) -> Int {
        // The subgroup variant's workgroups are 256 invocations (prologue.glsl), the others' 64.
        variant == "subgroup" ? max(1, 256 / max(c.device.subgroupSize, 1)) : 64
    }

    /// rope and rope_scaled (its frequency factors the second input): rope.comp.
    static func rope(_ c: LoweringContext) throws -> [KernelCall] {
        let x = c.inputTypes[0]
        let rows = try c.affine([x.shape[0]])
        let hd = c.int("head_dim"), dims = c.int("dims") == 0 ? hd : c.int("dims")
        let n = c.maximum(rows) * c.int("heads") * hd
        let buffers = c.node.inputs + [c.node.outputs[0].name]
        return [KernelCall(kernel: c.node.inputs.count == 2 ? "rope_yes" : "rope_no", buffers: buffers, writes: [buffers.count - 1],
                           push: rows.words + [UInt32(c.int("heads")), UInt32(hd), UInt32(dims),
                                               c.string("mode") == "half" ? 1 : 0, c.float("base").bitPattern],
                           grid: (c.groups(n, per: 256), 1))]
    }

    static func norm(_ c: LoweringContext, _ kind: String, add: Bool = false) throws -> [KernelCall] {
        let x = c.inputTypes[0]
        let rows = try c.rows(x), d = try c.fixed(x.shape.last, "the row size")
        let wi = add ? 2 : 1
        let v = try weightVariant(c, c.inputTypes[wi].dtype, "the norm weight", allowed: [.f32, .f16, .bf16])
        if kind == "layer", c.inputTypes[wi + 1].dtype != c.inputTypes[wi].dtype {
            throw c.fail("layer_norm weight and bias must share a dtype (\(c.inputTypes[wi].dtype.rawValue) vs \(c.inputTypes[wi + 1].dtype.rawValue))")
        }
        let bufs = c.node.inputs + c.node.outputs.map(\.name)
        let writes: Set<Int> = add ? [bufs.count - 2, bufs.count - 1] : [bufs.count - 1]
        return [KernelCall(kernel: "norm_\(kind)_\(add ? "yes" : "no")_\(v)_\(c.reduction)", buffers: bufs, writes: writes,
                           push: rows.words + [UInt32(d), c.float("eps").bitPattern], grid: (c.groups(c.maximum(rows)), 1),
                           constants: [c.device.kind == .cpu ? 64 : 256])]
    }

    static func binary(_ c: LoweringContext, _ op: UInt32) throws -> [KernelCall] {
        let n = try c.elements(c.inputTypes[0]), bn = try c.elements(c.inputTypes[1])
        return [KernelCall(kernel: "binary", buffers: c.node.inputs + [c.node.outputs[0].name], writes: [2],
                           push: n.words + bn.words + [op], grid: (c.groups(c.maximum(n), per: 256), 1))]
    }

    static func unary(_ c: LoweringContext, _ op: UInt32, _ param: Float) throws -> [KernelCall] {
        let n = try c.elements(c.inputTypes[0])
        return [KernelCall(kernel: "unary", buffers: [c.node.inputs[0], c.node.outputs[0].name], writes: [1],
                           push: n.words + [op, param.bitPattern], grid: (c.groups(c.maximum(n), per: 256), 1))]
    }

    static func copy(_ c: LoweringContext, from: String, type: TensorType, axis: Int, srcAxis: Affine, srcStart: Affine,
                     len: Affine, dstAxis: Affine, dstStart: Affine) throws -> KernelCall {
        let outer = try c.affine(Array(type.shape[..<axis]))
        let inner = try c.affine(Array(type.shape[(axis + 1)...]))
        guard inner.b == 0 else { throw c.fail("dims after the axis must be fixed") }
        let n = c.maximum(outer) * c.maximum(len) * Int(inner.a)
        return KernelCall(kernel: "copy", buffers: [from, c.node.outputs[0].name], writes: [1],
                          push: outer.words + srcAxis.words + srcStart.words + len.words + dstAxis.words + dstStart.words + [inner.a],
                          grid: (c.groups(n, per: 256), 1))
    }
}
