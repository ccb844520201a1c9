import Foundation
import SluiceBackend
import SluiceFrontends
import SluiceGraph
import SluicePasses

/// Runs a model's graphs step by step over one KV cache: on Vulkan or on the CPU
/// reference interpreter.
public protocol ModelRunner: AnyObject {
    /// Rows one prefill run takes at most.
    var maxChunk: Int { get }
    var contextLength: Int { get }
    /// Feeds `tokens` at positions past..<past+count. Returns the last row's logits
    /// (every row's with `stage == .score`, row-major; empty unless `logits`) and the argmax
    /// of the last row.
    func run(_ stage: GraphStage, tokens: [Int32], past: Int, logits: Bool) throws -> (logits: [Float], next: Int32)
    /// Greedy decode: feeds `first` at position `past`, then each step's argmax at the next
    /// position, `steps` times; returns the argmax of every step.
    func runGreedy(first: Int32, past: Int, steps: Int) throws -> [Int32]
    /// The most steps one `runGreedy` call takes.
    var maxGreedySteps: Int { get }
    /// Empties the KV cache.
    func reset() throws
}

extension ModelRunner {
    public func runGreedy(first: Int32, past: Int, steps: Int) throws -> [Int32] {
        try runGreedyStepByStep(first: first, past: past, steps: steps)
    }

    /// `runGreedy` as one `run` per step.
    public func runGreedyStepByStep(first: Int32, past: Int, steps: Int) throws -> [Int32] {
        var id = first, ids: [Int32] = []
        for i in 0..<steps {
            id = try run(.decode, tokens: [id], past: past + i, logits: false).next
            ids.append(id)
        }
        return ids
    }

    public var maxGreedySteps: Int { 1 }
}

/// Vulkan executors for prefill, decode and scoring, sharing one upload of the weights and
/// one KV cache.
public final class VulkanRunner: ModelRunner {
    public let device: VulkanDevice
    public let model: LoadedModel
    public let maxChunk: Int
    public let contextLength: Int
    let resident = ResidentBuffers()
    public private(set) var executors: [GraphStage: VulkanExecutor] = [:]
    let profile: Bool
    let transform: (Graph) throws -> Graph

    /// - Parameter transform: applied to each graph before it is planned (the pass pipeline).
    /// - Parameter passes: the pipeline; by default the standard one for the device's kind.
    public convenience init(device: VulkanDevice, model: LoadedModel, contextLength: Int, maxChunk: Int = 256,
                            profile: Bool = false, passes: PassManager? = nil) throws {
        let pm = passes ?? (device.info.kind == .cpu ? .standardForCPU : .standard)
        try self.init(device: device, model: model, contextLength: contextLength, maxChunk: maxChunk, profile: profile,
                      transform: { try pm.run($0) })
    }

    public init(device: VulkanDevice, model: LoadedModel, contextLength: Int, maxChunk: Int = 256,
                profile: Bool = false, transform: @escaping (Graph) throws -> Graph) throws {
        self.device = device
        self.model = model
        self.contextLength = contextLength
        self.maxChunk = max(1, min(maxChunk, contextLength))
        self.profile = profile
        self.transform = transform
        // Both generation graphs are planned, recorded and their weights uploaded at load.
        _ = try executor(.decode)
        if self.maxChunk > 1 { _ = try executor(.prefill) }
    }

    public func executor(_ stage: GraphStage) throws -> VulkanExecutor {
        if let e = executors[stage] { return e }
        let g = try transform(try model.graph(stage))
        let e = try VulkanExecutor(device: device, graph: g, bindings: ["T": stage == .decode ? 1 : maxChunk, "C": contextLength],
                                   weights: model.weights, resident: resident, profile: profile)
        executors[stage] = e
        return e
    }

    public func run(_ stage: GraphStage, tokens: [Int32], past: Int, logits: Bool) throws -> (logits: [Float], next: Int32) {
        let e = try executor(stage == .prefill && tokens.count == 1 ? .decode : stage)
        let out = try e.run(inputs: ["tokens": HostTensor(i32: tokens, shape: [tokens.count])], bindings: ["P": past],
                            fetch: logits ? ["logits", "next_token"] : ["next_token"])
        return (out["logits"]?.floats() ?? [], out["next_token"]!.ints().last!)
    }

    /// The steps run on the GPU one after another in one submission (ExecutorChain.swift);
    /// a decode graph that cannot be chained (another input than the tokens) runs them one
    /// by one.
    public func runGreedy(first: Int32, past: Int, steps: Int) throws -> [Int32] {
        let e = try executor(.decode)
        guard e.chainProblem() == nil else { return try runGreedyStepByStep(first: first, past: past, steps: steps) }
        return try e.runChain(first: first, past: past, steps: steps)
    }

    /// SLUICE_CHAIN_STEPS sets fewer (1: a submission per step); 1 where the decode graph
    /// cannot be chained.
    public var maxGreedySteps: Int {
        guard let e = try? executor(.decode), e.chainProblem() == nil else { return 1 }
        let env = environmentValue("SLUICE_CHAIN_STEPS").flatMap(Int.init)
        return min(max(env ?? VulkanExecutor.maxChainSteps, 1), VulkanExecutor.maxChainSteps)
    }

    public func reset() throws { try executors.values.first?.resetState() }

    /// Device memory held: weights, KV cache, and every executor's arena, scratch buffers and
    /// the persistent kernel's buffers (stage tables, tagged copies and partials, counters; the
    /// chain tail's).
    public var deviceBytes: Int {
        resident.bytes + executors.values.reduce(0) { $0 + $1.plan.arenaBytes + $1.scratchBytes + $1.persistentDeviceBytes }
    }
}

/// The CPU reference interpreter over the same graphs (slow; the oracle).
public final class ReferenceRunner: ModelRunner {
    public let model: LoadedModel
    public let maxChunk: Int
    public let contextLength: Int
    /// Each stage's graph after the passes, with its weight-only nodes folded once.
    var prepared: [GraphStage: (graph: Graph, weights: [String: HostTensor])] = [:]
    var state: [String: HostTensor] = [:]
    var folded: [String: HostTensor] = [:]

    let passes: PassManager?

    /// - Parameter passes: the pipeline to apply first; nil runs the graphs as built.
    public init(model: LoadedModel, contextLength: Int, maxChunk: Int = 64, passes: PassManager? = nil) throws {
        self.model = model
        self.passes = passes
        self.contextLength = contextLength
        self.maxChunk = maxChunk
        try reset()
    }

    public func run(_ stage: GraphStage, tokens: [Int32], past: Int, logits: Bool) throws -> (logits: [Float], next: Int32) {
        let (g, weights) = try prepare(stage)
        let out = try ReferenceInterpreter(graph: g).run(
            feeds: weights.merging(["tokens": HostTensor(i32: tokens, shape: [tokens.count])]) { a, _ in a },
            state: &state, bindings: ["T": tokens.count, "P": past, "C": contextLength])
        return (out["logits"]!.floats(), out["next_token"]!.ints().last!)
    }

    func prepare(_ stage: GraphStage) throws -> (graph: Graph, weights: [String: HostTensor]) {
        if let p = prepared[stage] { return p }
        let g = try model.graph(stage)
        let p = try WeightFolding.apply(try passes?.run(g) ?? g, weights: model.weights, cache: &folded)
        prepared[stage] = p
        return p
    }

    public func reset() throws {
        for p in try prepare(.decode).graph.params where p.kind == .state {
            let dims = p.type.resolve(["C": contextLength])!
            let n = Shape.product(dims)!
            state[p.name] = p.type.dtype == .i32 ? HostTensor(i32: [Int32](repeating: 0, count: n), shape: dims)
                                                 : HostTensor(f32: [Float](repeating: 0, count: n), shape: dims)
        }
    }
}
