import CVulkan
import Foundation
import XCTest
@testable import SluiceBackend
import SluiceGraph

/// The binding kinds read from the kernels' SPIR-V, and the matrix kernels' texel variant:
/// chosen on CPU drivers where x rows are whole texels (eight rows per tile for prefill plans,
/// one for decode), the storage-buffer shape elsewhere.
final class KernelBindingsTests: BackendTestCase {
    func kinds(_ name: String) throws -> [Int: BindingKind] {
        let data = try XCTUnwrap(SPIRV.all[name].flatMap { Data(base64Encoded: $0) }, name)
        return try BindingKind.read(spirv: data.withUnsafeBytes { Array($0.bindMemory(to: UInt32.self)) }, kernel: name)
    }

    func testKindsComeFromTheSPIRV() throws {
        // matmul: 0 step, 1 x, 2 weight, 3 y.
        XCTAssertEqual(try kinds("matmul_q4_1_texel_none"),
                       [0: .storage, 1: .texel(VK_FORMAT_R32G32B32A32_SFLOAT), 2: .texel(VK_FORMAT_R32_UINT), 3: .storage])
        XCTAssertEqual(try kinds("matmul_q4_1_shared_none"), [0: .storage, 1: .storage, 2: .storage, 3: .storage])
        // add + RMS norm prologue: x and b are texels, the norm weight and the sums are not.
        let addrms = try kinds("matmul_q8_0_texel_addrms")
        XCTAssertEqual(addrms[1], .texel(VK_FORMAT_R32G32B32A32_SFLOAT))
        XCTAssertEqual(addrms[2], .texel(VK_FORMAT_R32G32B32A32_SFLOAT))
        XCTAssertEqual(addrms[3], .storage)
        XCTAssertEqual(addrms[4], .texel(VK_FORMAT_R32_UINT))
        XCTAssertThrowsError(try BindingKind.read(spirv: [0x0723_0203, 0, 0, 0, 0, 0x0005_0047], kernel: "cut")) {
            XCTAssertTrue("\($0)".contains("cut") && "\($0)".contains("malformed"), "\($0)")
        }
    }

    func testCPUDriversGetTheTexelVariantWhereItFits() throws {
        let d = try device
        guard d.info.kind == .cpu else { throw XCTSkip("the default variant differs on GPUs") }
        let g = try GraphParser.parse("""
        graph @two(%x: f32[T,64], %a: weight q4_1[96,64], %y: f32[T,37], %b: weight f16[8,37]) {
          %u = matmul(%x, %a) : f32[T,96]
          %v = matmul(%y, %b) : f32[T,8]
          return %u, %v
        }
        """)
        let r = try RandomFeeds(graph: g, bindings: ["T": 3], seed: 5)
        let exec = try VulkanExecutor(device: d, graph: g, bindings: r.bindings, weights: r.feeds.filter { $0.key == "a" || $0.key == "b" })
        // K = 37 is not a whole number of four-float texels: the storage-buffer shape.
        XCTAssertEqual(Set(exec.dispatches.map(\.kernel)), ["matmul_q4_1_texel_none", "matmul_f16_shared_none"])
        // Rows per tile (specialization constant 0): 8 for a plan of several rows, 1 for one.
        let texel = { (e: VulkanExecutor) in e.plannedCalls.first { $0.call.kernel.hasSuffix("texel_none") }?.call.constants }
        XCTAssertEqual(texel(exec), [8])
        let one = try VulkanExecutor(device: d, graph: g, bindings: ["T": 1], weights: r.feeds.filter { $0.key == "a" || $0.key == "b" })
        XCTAssertEqual(texel(one), [1])
        for res in try CrossCheck.run(device: d, graph: g, feeds: r.feeds, state: r.state, bindings: r.bindings) {
            XCTAssertTrue(res.passed, "%\(res.output): error \(res.error) > \(res.tolerance)")
        }
    }
}
