import Foundation
import XCTest
import SluiceGraph
import SluicePasses
@testable import SluiceBackend

/// Which kernel a many-row product or attention lowers to on a device that has matrix cores
/// (a described device: no GPU needed). The kernels themselves are checked against the CPU
/// reference on a GPU that has them (docs/bench/h200-s21/c5–c7, `sluice run --check`).
final class KernelChoiceTests: XCTestCase {
    private func kernels(_ text: String, _ bindings: Bindings, _ device: DeviceInfo) throws -> [KernelCall] {
        try DispatchPlan.make(try GraphParser.parse(text), bindings: bindings, device: device).2.calls
    }

    private func attention(heads: Int, kvHeads: Int, headDim: Int) -> String {
        let q = heads * headDim, kv = kvHeads * headDim
        return """
        graph @a(%q: f32[T,\(q)], %k: state f32[C,\(kv)], %v: state f32[C,\(kv)]) {
          %y = attention(%q, %k, %v) {head_dim = \(headDim), heads = \(heads), kv_heads = \(kvHeads), scale = 0.125} : f32[T,\(q)]
          return %y
        }
        """
    }

    private var coopDevice: DeviceInfo {
        var d = DeviceInfo.genericGPU
        d.coopMatF16 = true
        return d
    }

    func testAttentionOnMatrixCores() throws {
        guard SPIRV.all["attention_coop_64_f32"] != nil, SPIRV.all["attention_coop_rows16_256_f32"] != nil else {
            throw XCTSkip("this build has no cooperative-matrix kernels (no cooperative-matrix glslc)")
        }
        let many: Bindings = ["T": 300, "C": 320, "P": 0]
        let cases: [(Int, Int, Int, String, UInt32)] = [
            (8, 2, 64, "attention_coop_64_f32", 5),              // 64 query rows a workgroup
            (9, 3, 48, "attention_coop_64_f32", 5),              // padded to 64
            (8, 2, 128, "attention_coop_rows16_128_f32", 19),    // 16 rows a workgroup
            (4, 1, 256, "attention_coop_rows16_256_f32", 19),
        ]
        for (h, kvh, d, kernel, groups) in cases {
            let calls = try kernels(attention(heads: h, kvHeads: kvh, headDim: d), many, coopDevice)
            XCTAssertEqual(calls.map(\.kernel), [kernel], "head_dim \(d)")
            XCTAssertEqual(calls.first?.grid.x, UInt32(h))
            XCTAssertEqual(calls.first?.grid.y, groups)
        }
        // Not on matrix cores: one row (decode), no 16×16×16 shape, subgroups of 64.
        XCTAssertFalse(try kernels(attention(heads: 8, kvHeads: 2, headDim: 64), ["T": 1, "C": 320, "P": 0], coopDevice)[0].kernel.hasPrefix("attention_coop"))
        XCTAssertEqual(try kernels(attention(heads: 8, kvHeads: 2, headDim: 64), many, .genericGPU).map(\.kernel), ["attention_tiled_64_f32"])
        var wide = coopDevice
        wide.subgroupSize = 64
        XCTAssertEqual(try kernels(attention(heads: 8, kvHeads: 2, headDim: 64), many, wide).map(\.kernel), ["attention_tiled_64_f32"])
        // head_dim 256 without matrix cores: the one-row-per-invocation kernel.
        XCTAssertFalse(try kernels(attention(heads: 4, kvHeads: 1, headDim: 256), many, .genericGPU)[0].kernel.hasPrefix("attention_coop"))
    }

    func testTallTilesWhenTheGridFillsTheGPU() throws {
        guard SPIRV.all["matmul_coop_tall_f32_none"] != nil else {
            throw XCTSkip("this build has no cooperative-matrix kernels (no cooperative-matrix glslc)")
        }
        func matmul(_ n: Int) -> String {
            "graph @m(%x: f32[T,2048], %w: weight q4_k[\(n),2048]) {\n  %y = matmul(%x, %w) : f32[T,\(n)]\n  return %y\n}"
        }
        // The tiles alone (testHalfInputRows covers the float16 input rows).
        setenv("SLUICE_COOP_X16", "0", 1)
        defer { unsetenv("SLUICE_COOP_X16") }
        var h200 = coopDevice
        h200.multiprocessors = 132
        // 4 × 88 = 352 tiles of 128 rows < 4 × 132: the 64-row kernel; 5632 × 2 columns: tall
        // (4 × 176 tiles of 128 × 64), or wide where it may run (4 × 88 tiles of 128 × 128 ≥ 2 × 132).
        XCTAssertEqual(try kernels(matmul(5632), ["T": 512], h200).map(\.kernel), ["matmul_coop_q4_k_none"])
        let wide = SPIRV.all["matmul_coop_wide_f32_none"] != nil
        XCTAssertEqual(try kernels(matmul(11264), ["T": 512], h200).map(\.kernel), [wide ? "matmul_coop_wide_q4_k_none" : "matmul_coop_tall_q4_k_none"])
        XCTAssertEqual(try kernels(matmul(11264), ["T": 512], h200)[0].grid.x, wide ? 88 : 176)
        XCTAssertEqual(try kernels(matmul(11264), ["T": 512], h200)[0].grid.y, 4)
        // 256 rows: 2 × 88 < 2 × 132 wide tiles, 2 × 176 < 4 × 132 tall ones.
        XCTAssertEqual(try kernels(matmul(11264), ["T": 256], h200).map(\.kernel), ["matmul_coop_q4_k_none"])
        XCTAssertEqual(try kernels(matmul(256), ["T": 512], h200).map(\.kernel), ["matmul_coop_q4_k_none"])
        // Without a multiprocessor count, or without matrix cores.
        XCTAssertEqual(try kernels(matmul(11264), ["T": 512], coopDevice).map(\.kernel), ["matmul_coop_q4_k_none"])
        XCTAssertEqual(try kernels(matmul(11264), ["T": 512], .genericGPU).map(\.kernel), ["matmul_tiled_q4_k_none"])
    }

    /// The gated products count output columns: TinyLlama's gate/up (2 × 5632 weight rows) has
    /// 5632 outputs, 88 wide tiles of 64 outputs (128 weight rows) on 4 row tiles at 512 rows.
    func testWideTilesForTheGatedProducts() throws {
        guard SPIRV.all["matmul_coop_wide_f32_none"] != nil else {
            throw XCTSkip("this build has no cooperative-matrix kernels (no cooperative-matrix glslc)")
        }
        FusedOps.register()
        let text = "graph @m(%x: f32[T,2048], %w: weight q4_k[11264,2048]) {\n  %y = matmul_swiglu(%x, %w) : f32[T,5632]\n  return %y\n}"
        var h200 = coopDevice
        h200.multiprocessors = 132
        setenv("SLUICE_COOP_X16", "0", 1)
        defer { unsetenv("SLUICE_COOP_X16") }
        let calls = try kernels(text, ["T": 512], h200)
        XCTAssertEqual(calls.map(\.kernel), ["matmul_coop_wide_q4_k_swiglu"])
        XCTAssertEqual(calls[0].grid.x, 88)
        XCTAssertEqual(calls[0].grid.y, 4)
        setenv("SLUICE_COOP_WIDE", "0", 1)
        defer { unsetenv("SLUICE_COOP_WIDE") }
        XCTAssertEqual(try kernels(text, ["T": 512], h200).map(\.kernel), ["matmul_coop_tall_q4_k_swiglu"])
        XCTAssertEqual(try kernels(text, ["T": 512], h200)[0].grid.x, 176)
    }

    /// Products whose column tiles would re-read at least 64 MiB of float16 input rows get them
    /// made once (half_rows, into the scratch buffer the product then reads); small ones do not.
    func testHalfInputRows() throws {
        guard SPIRV.all["matmul_coop_wide_x16_f32_none"] != nil else {
            throw XCTSkip("this build has no cooperative-matrix kernels (no cooperative-matrix glslc)")
        }
        FusedOps.register()
        func gated(_ d: Int, _ f: Int, _ w: String = "q4_k") -> String {
            "graph @m(%x: f32[T,\(d)], %w: weight \(w)[\(2 * f),\(d)]) {\n  %y = matmul_swiglu(%x, %w) : f32[T,\(f)]\n  return %y\n}"
        }
        var h200 = coopDevice
        h200.multiprocessors = 132
        // TinyLlama's gate/up at 512 rows: 512 · 2048 · 2 bytes read by 88 wide column tiles.
        let plan = try DispatchPlan.make(try GraphParser.parse(gated(2048, 5632)), bindings: ["T": 512], device: h200).2
        XCTAssertEqual(plan.calls.map(\.kernel), ["half_rows", "matmul_coop_wide_x16_q4_k_swiglu"])
        XCTAssertEqual(plan.calls[0].buffers, ["x", StandardKernels.halfRows])
        XCTAssertEqual(plan.calls[1].buffers[0], StandardKernels.halfRows)
        XCTAssertEqual(plan.scratch, [StandardKernels.halfRows: 512 * 2048 * 2])
        XCTAssertEqual(plan.barriers[1], true)   // the product waits for its rows
        // SmolLM2's (576 → 2 × 1536): 1.1 MiB of rows read by 48 tiles, under 64 MiB.
        XCTAssertEqual(try kernels(gated(576, 1536, "q4_1"), ["T": 512], h200).map(\.kernel), ["matmul_coop_q4_1_swiglu"])
        setenv("SLUICE_COOP_X16", "1", 1)
        defer { unsetenv("SLUICE_COOP_X16") }
        XCTAssertEqual(try kernels(gated(576, 1536, "q4_1"), ["T": 512], h200).map(\.kernel), ["half_rows", "matmul_coop_x16_q4_1_swiglu"])
        // Rows that are not whole blocks of the weight's type: an error naming them, not a crash.
        XCTAssertThrowsError(try kernels(gated(576, 1536), ["T": 512], h200))
    }
}
