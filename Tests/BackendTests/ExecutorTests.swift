import CVulkan
import Foundation
import XCTest
@testable import SluiceBackend
import SluiceGraph

/// The executor's contract: one recording replayed across runs, state kept between runs,
/// and clear errors for bad runs.
final class ExecutorTests: BackendTestCase {
    let kvGraph = """
    graph @kv(%x: f32[T,4], %c: state f32[C,4]) {
      %c2 = kv_write(%c, %x) : f32[C,4]
      %s = scale(%x) {value = 2.0} : f32[T,4]
      return %s
    }
    """

    func testStatePersistsAndMatchesReferenceAcrossRuns() throws {
        let g = try GraphParser.parse(kvGraph)
        let exec = try VulkanExecutor(device: device, graph: g, bindings: ["T": 3, "C": 6], weights: [:])
        var refState = ["c": HostTensor(f32: [Float](repeating: 0, count: 24), shape: [6, 4])]
        let ref = ReferenceInterpreter(graph: g)
        var p = 0
        for t in [3, 1, 2] {
            let x = HostTensor(f32: (0..<(4 * t)).map { Float($0 + 10 * p) }, shape: [t, 4])
            let out = try exec.run(inputs: ["x": x], bindings: ["P": p])
            let want = try ref.run(feeds: ["x": x], state: &refState, bindings: ["P": p, "C": 6])
            XCTAssertEqual(out["s"]?.floats(), want["s"]?.floats())
            XCTAssertEqual(out["s"]?.shape, [t, 4])
            p += t
        }
        XCTAssertEqual(try exec.state("c").floats(), refState["c"]!.floats())
        XCTAssertEqual(exec.dispatches.count, 2)
    }

    func testContextFullIsAnError() throws {
        let exec = try VulkanExecutor(device: device, graph: try GraphParser.parse(kvGraph), bindings: ["T": 3, "C": 4], weights: [:])
        XCTAssertThrowsError(try exec.run(inputs: ["x": HostTensor(f32: [Float](repeating: 1, count: 12), shape: [3, 4])], bindings: ["P": 2])) {
            XCTAssertTrue("\($0)".contains("context full"), "\($0)")
        }
        XCTAssertThrowsError(try exec.run(inputs: ["x": HostTensor(f32: [Float](repeating: 1, count: 16), shape: [4, 4])])) {
            XCTAssertTrue("\($0)".contains("exceeds the planned 3"), "\($0)")
        }
        XCTAssertThrowsError(try exec.run(inputs: [:])) { XCTAssertTrue("\($0)".contains("input %x was not provided"), "\($0)") }
    }

    func testOutOfRangeTokenIsAnError() throws {
        let g = try GraphParser.parse("graph @e(%ids: i32[T], %tab: weight f32[4,8]) {\n  %y = embedding(%tab, %ids) : f32[T,8]\n  return %y\n}")
        let tab = HostTensor(f32: [Float](repeating: 1, count: 32), shape: [4, 8])
        let exec = try VulkanExecutor(device: device, graph: g, bindings: ["T": 2], weights: ["tab": tab])
        XCTAssertThrowsError(try exec.run(inputs: ["ids": HostTensor(i32: [1, 4], shape: [2])])) {
            XCTAssertTrue("\($0)".contains("token id 4"), "\($0)")
        }
    }

    func testIndependentDispatchesShareABarrier() throws {
        let g = try GraphParser.parse("""
        graph @fan(%x: f32[T,64], %a: weight f32[8,64], %b: weight f32[8,64], %c: weight f32[8,64]) {
          %h = silu(%x) : f32[T,64]
          %ya = matmul(%h, %a) : f32[T,8]
          %yb = matmul(%h, %b) : f32[T,8]
          %yc = matmul(%h, %c) : f32[T,8]
          %s = add(%ya, %yb) : f32[T,8]
          %t = add(%s, %yc) : f32[T,8]
          return %t
        }
        """)
        let r = try RandomFeeds(graph: g, bindings: ["T": 2], seed: 3)
        let exec = try VulkanExecutor(device: device, graph: g, bindings: r.bindings, weights: r.feeds.filter { $0.key != "x" })
        // silu | three matmuls (one barrier) | add | add
        XCTAssertEqual(exec.dispatches.map(\.barrier), [false, true, false, false, true, true])
    }

    /// A call may bind a scratch buffer of the backend's own (KernelCall.scratch, named "#…"):
    /// the executor gives it a device buffer as large as its largest use, and the scheduler
    /// orders its writes and reads as it does a value's. Here a slice lowers to half_rows (x as
    /// float16 into the scratch buffer, as before the matrix-core products that read float16
    /// rows) and a copy of the scratch buffer's words into y: y holds x's float16 pairs.
    func testScratchBufferAndHalfRows() throws {
        let kernels = KernelRegistry(StandardKernels.all)
        kernels.register(op: "slice") { c in
            let rows = try c.rows(c.inputTypes[0]), k = 24
            let bytes = c.maximum(rows) * k * 2
            var half = KernelCall(kernel: "half_rows", buffers: [c.node.inputs[0], "#h"], writes: [1], push: rows.words + [UInt32(k)],
                                  grid: (1, 1))
            half.scratch = ["#h": bytes]
            var copy = try StandardKernels.copy(c, from: "#h", type: c.outputTypes[0], axis: 0, srcAxis: rows, srcStart: .fixed(0),
                                                len: rows, dstAxis: rows, dstStart: .fixed(0))
            copy.scratch = ["#h": bytes]
            return [half, copy]
        }
        let g = try GraphParser.parse("graph @h(%x: f32[T,24]) {\n  %y = slice(%x) {axis = 1, end = 12, start = 0} : f32[T,12]\n  return %y\n}")
        let exec = try VulkanExecutor(device: device, graph: g, bindings: ["T": 5], weights: [:], kernels: kernels)
        XCTAssertEqual(exec.dispatches.map(\.kernel), ["half_rows", "copy"])
        XCTAssertEqual(exec.dispatches.map(\.barrier)[1], true)
        XCTAssertEqual(exec.scratchBytes, 5 * 24 * 2 / 16 * 16)
        for t in [5, 2] {
            let values: [Float] = (0..<(24 * t)).map { i -> Float in
                let a = Float(i % 7) * 0.37, b = Float(i) * 1e-3
                return a - 1.1 + b
            }
            let out = try exec.run(inputs: ["x": HostTensor(f32: values, shape: [t, 24])], bindings: ["T": t])
            let y: HostTensor = try XCTUnwrap(out["y"])
            let words: [UInt32] = y.floats().map { $0.bitPattern }
            XCTAssertEqual(words.count, 12 * t)
            for (i, w) in words.enumerated() {
                XCTAssertEqual(UInt16(w & 0xFFFF), Float16(values[2 * i]).bitPattern, "value \(2 * i)")
                XCTAssertEqual(UInt16(w >> 16), Float16(values[2 * i + 1]).bitPattern, "value \(2 * i + 1)")
            }
        }
    }
}

/// The validation check in `BackendTestCase.tearDown` is real: an invalid call is reported.
final class ValidationLayerTests: XCTestCase {
    func testInvalidUsageIsReported() throws {
        let d = try TestDevice.get()
        guard d.instance.validation else { throw XCTSkip("SLUICE_VALIDATION=1 is not set") }
        ValidationLog.clear()
        var info = VkBufferCreateInfo()
        info.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO
        info.size = 0  // invalid: size must be greater than 0
        info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT.rawValue
        var b: VkBuffer?
        _ = vkCreateBuffer(d.handle, &info, nil, &b)
        if let b { vkDestroyBuffer(d.handle, b, nil) }
        XCTAssertFalse(ValidationLog.all.isEmpty, "the validation layer should report a zero-sized buffer")
        ValidationLog.clear()
    }
}

/// Tensors bigger than one binding (maxStorageBufferRange, 128 MiB on lavapipe) are bound in
/// row windows; SLUICE_MAX_BINDING lowers the limit so small tensors take that path here.
final class LargeTensorTests: BackendTestCase {
    func testWeightsSplitAcrossBindingsMatchTheReference() throws {
        setenv("SLUICE_MAX_BINDING", "1024", 1)
        defer { unsetenv("SLUICE_MAX_BINDING") }
        let g = try GraphParser.parse("""
        graph @tied(%ids: i32[T], %emb: weight q8_0[70,64], %w: weight q4_0[45,256], %x: f32[T,256]) {
          %e = embedding(%emb, %ids) : f32[T,64]
          %logits = matmul(%e, %emb) : f32[T,70]
          %y = matmul(%x, %w) : f32[T,45]
          return %e, %logits, %y
        }
        """)
        for t in [1, 6] {
            let r = try RandomFeeds(graph: g, bindings: ["T": t], seed: UInt64(t))
            for res in try CrossCheck.run(device: device, graph: g, feeds: r.feeds, state: r.state, bindings: r.bindings) {
                XCTAssertTrue(res.passed, "%\(res.output): error \(res.error) > \(res.tolerance)")
            }
            let weights = r.feeds.filter { $0.key == "emb" || $0.key == "w" }
            let exec = try VulkanExecutor(device: device, graph: g, bindings: r.bindings, weights: weights)
            // 70 rows of 68 bytes, windows of at most 1024 bytes starting at multiples of 16:
            // 12 rows each, 6 windows (embedding and the tied matmul); 45 rows of 144 bytes:
            // 7 rows each, 7 windows.
            XCTAssertEqual(exec.dispatches.filter { $0.op == "embedding" }.count, 6)
            XCTAssertEqual(exec.dispatches.filter { $0.op == "matmul" }.count, 13)
        }
    }

    /// K-quant weights in row windows (whole 256-value blocks per row): a q6_k matrix (210-byte
    /// rows, windows of 16 rows at 16-byte offsets) and a q4_k embedding table (144-byte rows,
    /// windows of 28).
    func testKQuantWeightsSplitAcrossBindings() throws {
        setenv("SLUICE_MAX_BINDING", "4096", 1)
        defer { unsetenv("SLUICE_MAX_BINDING") }
        let g = try GraphParser.parse("""
        graph @kq(%ids: i32[T], %emb: weight q4_k[40,256], %w: weight q6_k[20,256]) {
          %e = embedding(%emb, %ids) : f32[T,256]
          %y = matmul(%e, %w) : f32[T,20]
          return %e, %y
        }
        """)
        for t in [1, 5] {
            let r = try RandomFeeds(graph: g, bindings: ["T": t], seed: UInt64(t))
            for res in try CrossCheck.run(device: device, graph: g, feeds: r.feeds, state: r.state, bindings: r.bindings) {
                XCTAssertTrue(res.passed, "%\(res.output): error \(res.error) > \(res.tolerance)")
            }
            let exec = try VulkanExecutor(device: device, graph: g, bindings: r.bindings, weights: r.feeds.filter { $0.key == "emb" || $0.key == "w" })
            XCTAssertEqual(exec.dispatches.filter { $0.op == "embedding" }.count, 2)
            XCTAssertEqual(exec.dispatches.filter { $0.op == "matmul" }.count, 2)
        }
    }
}
