import CVulkan
import Foundation
import SluiceGraph
import SluicePasses

extension VulkanExecutor {
    /// Runs the recorded command buffer once. `inputs` holds every input parameter; `T` is
    /// bound from their shapes (at most the planned T) and `P` from `bindings` (default 0).
    /// Returns the graph outputs by name: all of them, or those in `fetch`.
    public func run(inputs: [String: HostTensor], bindings: Bindings = [:], fetch: Set<String>? = nil) throws -> [String: HostTensor] {
        var runtime: Bindings = bindings
        for p in graph.params where p.kind == .input {
            guard let t = inputs[p.name] else { throw BackendError.run("input %\(p.name) was not provided") }
            // Inputs are uploaded byte for byte, so the dtype must be exactly the declared one.
            guard t.dtype == p.type.dtype else {
                throw BackendError.run("input %\(p.name) is \(t.dtype.rawValue)\(t.shape), the graph declares \(p.type)")
            }
            try ReferenceInterpreter.bind(p, t, &runtime)
        }
        for (s, n) in runtime where s != "P" {
            if let planned = maxBindings[s], n > planned {
                throw BackendError.run("\(s) = \(n) exceeds the planned \(planned)")
            }
        }
        let T = runtime["T"] ?? maxBindings["T"] ?? 1
        let P = runtime["P"] ?? 0
        for s in runtime.keys where s != "T" && s != "P" && runtime[s] != maxBindings[s] {
            throw BackendError.run("symbol \(s) is fixed at \(maxBindings[s].map(String.init) ?? "nothing") by the plan, got \(runtime[s]!)")
        }
        var binds = maxBindings
        binds["T"] = T; binds["P"] = P
        if let cap = cacheRows, P + T > cap {
            throw BackendError.run("context full: \(P) cached + \(T) new rows exceed the cache's \(cap) rows")
        }
        try checkTokenIDs(inputs.compactMapValues { $0.dtype == .i32 ? $0.ints() : nil })
        let step: [UInt32] = [UInt32(T), UInt32(P), UInt32(maxBindings["C"] ?? 0), 0]
        try step.withUnsafeBytes { try stepBuffer.upload($0) }
        for p in graph.params where p.kind == .input {
            try withBytes(inputs[p.name]!) { try buffers[.param(p.name)]!.upload($0) }
        }
        try device.submit(commandBuffer, fence: fence)
        try fence.wait(spin: true)
        while try persistentFailed() {
            // At most twice per executor: decode goes on, slower, with fewer workgroups or
            // ordinary dispatches.
            try device.submit(commandBuffer, fence: fence)
            try fence.wait(spin: true)
        }
        profiler?.collect()
        if usesPersistentKernel { try tracer?.collect() }
        var out: [String: HostTensor] = [:]
        for o in graph.outputs where fetch?.contains(o) ?? true {
            let v = outputValues[o]!
            guard let dims = v.type.resolve(binds), let n = v.type.byteCount(binds) else {
                throw BackendError.run("cannot size output %\(o) under \(binds)")
            }
            let bytes = try readback.download(offset: readbackOffsets[o]!, count: n)
            out[o] = try hostTensor(v.type.dtype, dims, bytes)
        }
        return out
    }

    /// Every token id an embedding reads from these inputs lies within its table.
    func checkTokenIDs(_ inputs: [String: [Int32]]) throws {
        for node in graph.nodes where node.op == "embedding" {
            if let ids = inputs[node.inputs[1]], let rows = tableRows[node.inputs[0]] {
                for id in ids where id < 0 || Int(id) >= rows {
                    throw BackendError.run("token id \(id) is outside the \(rows)-row table %\(node.inputs[0])")
                }
            }
        }
    }

    /// The current contents of a state parameter (e.g. a KV cache).
    public func state(_ name: String) throws -> HostTensor {
        guard let p = graph.params.first(where: { $0.name == name && $0.kind == .state }),
              let dims = p.type.resolve(maxBindings), let n = p.type.byteCount(maxBindings) else {
            throw BackendError.run("no state parameter %\(name)")
        }
        return try hostTensor(p.type.dtype, dims, try buffers[.param(name)]!.download(offset: 0, count: n))
    }

    /// Replaces a state parameter's contents (same dtype and shape).
    public func setState(_ name: String, _ t: HostTensor) throws {
        guard let b = buffers[.param(name)], graph.params.contains(where: { $0.name == name && $0.kind == .state }) else {
            throw BackendError.run("no state parameter %\(name)")
        }
        try withBytes(t) { try b.upload($0) }
    }

    /// Zeroes every state parameter (an empty KV cache).
    public func resetState() throws {
        for p in graph.params where p.kind == .state { try buffers[.param(p.name)]!.zero() }
    }

    /// GPU time per operator over the runs so far, largest first (nil unless profiling).
    public func profileTable() -> [(op: String, dispatches: Int, milliseconds: Double)]? {
        profiler?.table()
    }

    /// GPU time per kernel variant and matrix shape (K×N, for the matrix kernels), largest first.
    public func profileDetailTable() -> [(op: String, dispatches: Int, milliseconds: Double)]? {
        profiler?.detailTable()
    }

    /// The profile's finer key of a call: its kernel, and for the matrix kernels (whose push
    /// constants start with the rows' two words, K and N) the shape K×N.
    static func profileDetail(_ c: KernelCall) -> String {
        let matrix = ["matmul", "head_chain"].contains { c.kernel.hasPrefix($0) }
        return matrix && c.push.count > 3 ? "\(c.kernel) \(c.push[2])×\(c.push[3])" : c.kernel
    }

    func hostTensor(_ dtype: DType, _ dims: [Int], _ bytes: [UInt8]) throws -> HostTensor {
        switch dtype {
        case .f32:
            return HostTensor(f32: bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }, shape: dims)
        case .i32:
            return HostTensor(i32: bytes.withUnsafeBytes { Array($0.bindMemory(to: Int32.self)) }, shape: dims)
        default:
            return try HostTensor(dtype: dtype, shape: dims, bytes: ByteBuffer(bytes))
        }
    }
}
