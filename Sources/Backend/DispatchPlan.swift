import SluiceGraph
import SluicePasses

/// The dispatches of a scheduled, planned graph: kernel calls in order, the op each came
/// from, and where barriers go. The executor records exactly this; `sluice dump
/// --schedule` prints it.
public struct DispatchPlan {
    public var calls: [KernelCall]
    public var ops: [String]
    /// The label of the node each call came from.
    public var nodes: [String] = []
    public var barriers: [Bool]
    /// The calls' scratch buffers (KernelCall.scratch): name → the most bytes any call needs,
    /// rounded up to 16 (the executor allocates exactly this).
    public var scratch: [String: Int] = [:]

    /// Where a scratch buffer lives: at the start of its own buffer.
    public static func scratchLocation(_ name: String, bytes: Int) -> MemoryPlan.Location {
        MemoryPlan.Location(root: .param(name), offset: 0, size: bytes)
    }

    /// Arena offsets suit storage-buffer bindings and texel views (both powers of two).
    public static func alignment(_ info: DeviceInfo) -> Int {
        max(256, Int(info.minStorageBufferOffsetAlignment), Int(info.minTexelBufferOffsetAlignment))
    }

    public static func lower(_ graph: Graph, plan: MemoryPlan, bindings: Bindings, device: DeviceInfo,
                             registry: OpRegistry = .shared, kernels: KernelRegistry = .shared) throws -> DispatchPlan {
        let types = graph.values.mapValues(\.type)
        var calls: [KernelCall] = [], ops: [String] = [], nodes: [String] = []
        for node in graph.nodes {
            guard let lowering = kernels.lowering(node.op) else {
                throw BackendError.unsupported("operator '\(node.op)' (node \(node.label)) has no Vulkan kernel; kernels exist for: \(kernels.ops.joined(separator: ", "))")
            }
            let def = try registry.definition(node.op)
            let ctx = LoweringContext(node: node, inputTypes: node.inputs.map { types[$0]! }, outputTypes: node.outputs.map(\.type),
                                      attributes: try def.resolveAttributes(node.attributes, node: node),
                                      bindings: bindings, device: device)
            for c in try lowering(ctx) { calls.append(c); ops.append(node.op); nodes.append(node.label) }
        }
        var scratch: [String: Int] = [:]
        for c in calls { for (name, bytes) in c.scratch { scratch[name] = max(scratch[name] ?? 0, (bytes + 15) / 16 * 16) } }
        var locations = plan.locations
        for (name, bytes) in scratch { locations[name] = scratchLocation(name, bytes: bytes) }
        let accesses = calls.map { c in
            Scheduler.Access(reads: c.buffers.enumerated().filter { !c.writes.contains($0.offset) }.map { locations[$0.element]! },
                             writes: c.writes.map { locations[c.buffers[$0]]! })
        }
        return DispatchPlan(calls: calls, ops: ops, nodes: nodes, barriers: Scheduler.barriers(accesses), scratch: scratch)
    }

    /// Schedules, plans and lowers `graph` for `device` without touching a GPU (for dumps).
    public static func make(_ graph: Graph, bindings: Bindings, device: DeviceInfo = .genericGPU,
                            registry: OpRegistry = .shared) throws -> (Graph, MemoryPlan, DispatchPlan) {
        let g = Scheduler.levelOrder(WeightFolding.foldedTypes(graph, registry: registry))
        let plan = try MemoryPlanner.plan(g, bindings: bindings, alignment: alignment(device), registry: registry)
        return (g, plan, try lower(g, plan: plan, bindings: bindings, device: device, registry: registry))
    }
}

extension DeviceInfo {
    /// A typical discrete GPU (subgroups of 32 with arithmetic), for plans made without one.
    public static let genericGPU = DeviceInfo(
        index: 0, name: "generic GPU", kind: .discrete, apiVersion: "1.3", driverName: "none", driverInfo: "",
        deviceLocalBytes: 16 << 30, subgroupSize: 32, subgroupArithmetic: true, subgroupShuffle: true, maxStorageBufferRange: 1 << 32,
        minStorageBufferOffsetAlignment: 64, maxWorkGroupCount: (65535, 65535, 65535), maxSharedMemory: 49152,
        maxPushConstants: 128, timestampPeriodNs: 1, shaderFloat16: true, storage16: true)
}
