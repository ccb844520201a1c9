import Foundation
import XCTest
@testable import Sluice
@testable import SluiceBackend
@testable import SluiceFrontends
import SluiceGraph

/// Greedy decode steps chained on the GPU (ExecutorChain.swift) against the same steps run
/// one submission each: the same ids and, bit for bit, the same KV cache (the same kernels
/// run in the same order; only who feeds the next token differs).
final class ChainedDecodeTests: XCTestCase {
    let config = TransformerConfig(architecture: "llama", vocabSize: 320, hidden: 128, layers: 2, heads: 4, kvHeads: 2,
                                   headDim: 32, ffn: 256, ropeBase: 10000, ropeMode: "interleaved", normEps: 1e-5,
                                   contextLength: 96)

    func runner(_ m: LoadedModel, _ device: VulkanDevice, persistent: Persistent.Settings?, gpuPasses: Bool = false) throws -> VulkanRunner {
        Persistent.override = persistent
        defer { Persistent.override = nil }
        return try VulkanRunner(device: device, model: m, contextLength: 96, maxChunk: 8, passes: gpuPasses ? .standard : nil)
    }

    func caches(_ r: VulkanRunner) throws -> [String: [Float]] {
        let e = try r.executor(.decode)
        var out: [String: [Float]] = [:]
        for p in e.graph.params where p.kind == .state && p.name.hasPrefix("cache.") { out[p.name] = try e.state(p.name).floats() }
        return out
    }

    /// Prefill, then seven greedy steps on one runner one by one and on another as chains of
    /// 3 and 4 steps: the same ids and, bit for bit, the same KV cache. `beforeChains` sees the
    /// chained runner's decode executor before its first chain. Returns the chained runner.
    @discardableResult
    func compareChainToSteps(_ m: LoadedModel, _ device: VulkanDevice, _ s: Persistent.Settings?, gpuPasses: Bool = false,
                             label: String, beforeChains: (VulkanExecutor) throws -> Void = { _ in }) throws -> VulkanRunner {
        let steps = try runner(m, device, persistent: s, gpuPasses: gpuPasses), chained = try runner(m, device, persistent: s, gpuPasses: gpuPasses)
        let prompt: [Int32] = [3, 141, 59, 26, 5]
        let first = try steps.run(.prefill, tokens: prompt, past: 0, logits: false).next
        XCTAssertEqual(try chained.run(.prefill, tokens: prompt, past: 0, logits: false).next, first)
        var expected: [Int32] = [], id = first
        for i in 0..<7 {
            id = try steps.run(.decode, tokens: [id], past: prompt.count + i, logits: false).next
            expected.append(id)
        }
        try beforeChains(try chained.executor(.decode))
        let a = try chained.runGreedy(first: first, past: prompt.count, steps: 3)
        let b = try chained.runGreedy(first: a[2], past: prompt.count + 3, steps: 4)
        XCTAssertEqual(a + b, expected, label)
        let (want, got) = (try caches(steps), try caches(chained))
        XCTAssertFalse(want.isEmpty)
        for (name, w) in want {
            let g = got[name] ?? []
            let differ = (0..<min(g.count, w.count)).filter { g[$0] != w[$0] }
            XCTAssertTrue(g.count == w.count && differ.isEmpty,
                          "\(label): %\(name) differs at \(differ.count) of \(w.count) values, first at \(differ.first ?? -1)")
        }
        return chained
    }

    func testChainMatchesStepByStep() throws {
        let device = try VulkanDevice()
        let m = try SyntheticSource.model(config: config, layerType: .q4_1, embeddingType: .q8_0)
        let capable = device.info.subgroupArithmetic && device.info.bufferDeviceAddress
        // The device's own choice, the persistent kernel in one workgroup, and a persistent
        // kernel whose grid barrier gives up at once (the chain falls back and runs again).
        var settings: [(String, Persistent.Settings?)] = [("default", nil)]
        if capable {
            settings += [("persistent", .init(enabled: true, groups: 1, spinLimit: 1 << 22)),
                         ("fallback", .init(enabled: true, groups: 1, spinLimit: 0))]
        }
        for (label, s) in settings {
            let chained = try compareChainToSteps(m, device, s, label: label)
            if label == "fallback" { XCTAssertFalse(try chained.executor(.decode).usesPersistentKernel) }
        }
    }

    /// The chains' wait that sleeps through most of a chain's expected time and then polls
    /// (GPUs; forced here with SLUICE_CHAIN_WAIT=poll): the second chain waits on the first
    /// one's time per step, and both give the ids and caches of the steps run one by one.
    func testChainWaitThatSleepsThenPolls() throws {
        setenv("SLUICE_CHAIN_WAIT", "poll", 1)
        defer { unsetenv("SLUICE_CHAIN_WAIT") }
        let device = try VulkanDevice()
        let m = try SyntheticSource.model(config: config, layerType: .q4_1, embeddingType: .q8_0)
        let chained = try compareChainToSteps(m, device, nil, label: "sleep, then poll")
        XCTAssertGreaterThan(try chained.executor(.decode).chainStepNanos, 0, "the chains ran and timed their steps")
    }

    /// Chains with the fused tail (ExecutorChainTail.swift: the head, argmax and next
    /// embedding in one dispatch, the position a push constant of the persistent kernel):
    /// with the GPU pass pipeline the decode step has the shape it needs (embedding, one
    /// persistent run, the tied LM head, argmax), and a chain gives the ids and, bit for bit,
    /// the KV cache of the steps run one by one — also when the persistent run gives up at
    /// once and the chain runs again on ordinary dispatches, without the tail.
    func testChainWithFusedTailMatchesStepByStep() throws {
        let device = try VulkanDevice()
        guard device.info.subgroupArithmetic && device.info.bufferDeviceAddress && device.info.int64Atomics else {
            throw XCTSkip("no persistent kernel on \(device.info.name)")
        }
        let m = try SyntheticSource.model(config: config, layerType: .q4_1, embeddingType: .q8_0)
        for (label, limit) in [("fused tail", UInt32(1 << 22)), ("fallback", 0)] {
            let s = Persistent.Settings(enabled: true, groups: 1, spinLimit: limit)
            let chained = try compareChainToSteps(m, device, s, gpuPasses: true, label: label) { e in
                if label == "fused tail" { XCTAssertNotNil(try e.chainTail(input: "tokens", output: "next_token"), "the step's shape") }
            }
            XCTAssertEqual(try chained.executor(.decode).usesPersistentKernel, label == "fused tail", label)
        }
    }

    /// A chain clears the persistent runs' arrival counters before its first step only; each
    /// run's last workgroup to finish resets its counter. With grid barriers (one workgroup,
    /// so a stale count could not show up as a wrong token) every counter must read zero
    /// after the chain, and the ids must be those of the steps run one by one.
    func testChainLeavesArrivalCountersZeroed() throws {
        let device = try VulkanDevice()
        guard device.info.subgroupArithmetic && device.info.bufferDeviceAddress && device.info.int64Atomics else {
            throw XCTSkip("no persistent kernel on \(device.info.name)")
        }
        let m = try SyntheticSource.model(config: config, layerType: .q4_1, embeddingType: .q8_0)
        setenv("SLUICE_PERSISTENT_OFF", "dataflow", 1)
        defer { unsetenv("SLUICE_PERSISTENT_OFF") }
        let s = Persistent.Settings(enabled: true, groups: 1, spinLimit: 1 << 22)
        let steps = try runner(m, device, persistent: s), chained = try runner(m, device, persistent: s)
        let prompt: [Int32] = [7, 88, 19]
        let first = try steps.run(.prefill, tokens: prompt, past: 0, logits: false).next
        _ = try chained.run(.prefill, tokens: prompt, past: 0, logits: false)
        var expected: [Int32] = [], id = first
        for i in 0..<4 {
            id = try steps.run(.decode, tokens: [id], past: prompt.count + i, logits: false).next
            expected.append(id)
        }
        let e = try chained.executor(.decode)
        XCTAssertTrue(e.usesPersistentKernel)
        XCTAssertTrue(e.persistentModes.allSatisfy { !$0.dataflow }, "grid barriers asked for")
        XCTAssertEqual(try chained.runGreedy(first: first, past: prompt.count, steps: 4), expected)
        XCTAssertFalse(e.syncBuffers.isEmpty)
        for (i, sync) in e.syncBuffers.enumerated() {
            let words = try sync.download(offset: 0, count: 8)
            XCTAssertEqual(words[0..<4].map { $0 }, [0, 0, 0, 0], "run \(i)'s arrival counter")
            XCTAssertEqual(words[4..<8].map { $0 }, [0, 0, 0, 0], "run \(i)'s failure flag")
        }
    }

    func testChainRejectsWhatItCannotRun() throws {
        let device = try VulkanDevice()
        let m = try SyntheticSource.model(config: config, layerType: .q8_0, embeddingType: .q8_0)
        let r = try runner(m, device, persistent: nil)
        let e = try r.executor(.decode)
        for (steps, past, first, what) in [(0, 0, Int32(1), "1 to 32 steps"), (33, 0, 1, "1 to 32 steps"),
                                           (8, 90, 1, "context full"), (2, 0, 320, "outside the 320-row table")] {
            XCTAssertThrowsError(try e.runChain(first: first, past: past, steps: steps)) { err in
                XCTAssertTrue("\(err)".contains(what), "\(err)")
            }
        }
        XCTAssertThrowsError(try r.executor(.prefill).runChain(first: 1, past: 0, steps: 2)) { err in
            XCTAssertTrue("\(err)".contains("T = 1"), "\(err)")
        }
    }

    /// The generator's greedy path (chains that double in length) gives the tokens of the
    /// step-by-step path (taken when the caller wants the logits); a stop inside a chain
    /// leaves the history and cache where the step-by-step path would, so generation can
    /// go on from there.
    func testGeneratorChainsAndStops() throws {
        let device = try VulkanDevice()
        let m = try SyntheticSource.model(config: config, layerType: .q4_0, embeddingType: .q8_0)
        let prompt: [Int32] = [17, 4, 250, 9]
        let oneByOne = Generator(runner: try runner(m, device, persistent: nil))
        var want: [Int32] = []
        _ = try oneByOne.generate(prompt: prompt, maxTokens: 12, sampling: SamplingParameters(), onLogits: { _ in }) { want.append($0); return true }
        XCTAssertEqual(want.count, 12)

        let chained = Generator(runner: try runner(m, device, persistent: nil))
        chained.chainSeconds = 1e9   // chains of 1, 2, 4, 8 steps whatever the device's speed
        var got: [Int32] = []
        let stats = try chained.generate(prompt: prompt, maxTokens: 12, sampling: SamplingParameters()) { got.append($0); return true }
        XCTAssertEqual(got, want)
        XCTAssertEqual(stats.generatedTokens, 12)
        XCTAssertEqual(chained.history, prompt + want.dropLast())

        // Stop at the 6th token, inside the chain of 4 (tokens 4–7): 5 tokens were fed.
        try chained.reset()
        got = []
        _ = try chained.generate(prompt: prompt, maxTokens: 12, sampling: SamplingParameters()) { got.append($0); return got.count < 6 }
        XCTAssertEqual(got, Array(want[..<6]))
        XCTAssertEqual(chained.history, prompt + want[..<5])
        var rest: [Int32] = []
        _ = try chained.generate(prompt: [want[5]], maxTokens: 4, sampling: SamplingParameters()) { rest.append($0); return true }
        XCTAssertEqual(rest, Array(want[6..<10]))
    }
}
