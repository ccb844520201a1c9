import Foundation
import XCTest
@testable import Sluice
@testable import SluiceBackend
@testable import SluiceFrontends
import SluiceGraph

/// The persistent decode kernel (Kernels/persistent.comp) against the ordinary dispatches:
/// the same model, the same prompt, the same greedy steps, logits compared at every step.
/// On lavapipe it runs with one workgroup (the stage logic, the stage table, the norm
/// prologues, split attention's counters); the grid barrier across workgroups is exercised
/// on GPUs by `sluice bench --json` (identical logit checksums with SLUICE_PERSISTENT=0|1).
final class PersistentKernelTests: XCTestCase {
    func runner(_ m: LoadedModel, _ device: VulkanDevice, persistent: Bool, spinLimit: UInt32 = 1 << 22, halfCache: Bool = false,
                profile: Bool = false, groups: Int = 1, retryGroups: Int? = nil, headRows: Int = 144) throws -> VulkanRunner {
        Persistent.override = Persistent.Settings(enabled: persistent, groups: groups, spinLimit: spinLimit, retryGroups: retryGroups,
                                                  headRows: headRows)
        defer { Persistent.override = nil }
        // The GPU pass pipeline, so the decode graph has the norm prologues and split attention.
        return try VulkanRunner(device: device, model: m, contextLength: 160, maxChunk: 8, profile: profile,
                                passes: halfCache ? PassManager.standard.withHalfCache() : .standard)
    }

    /// Under --profile on a device with a device clock, the trace variant of the kernel
    /// stamps every stage: the same results, and one row per kind of stretch between grid
    /// barriers with as many stretches per run as the stage table has.
    func testStageTimestampsUnderProfile() throws {
        let device = try VulkanDevice()
        try XCTSkipUnless(device.info.subgroupArithmetic && device.info.bufferDeviceAddress && device.info.shaderDeviceClock,
                          "\(device.info.name): no subgroup arithmetic, buffer device addresses or device clock")
        let config = TransformerConfig(architecture: "llama", vocabSize: 320, hidden: 128, layers: 2, heads: 4, kvHeads: 2,
                                       headDim: 32, ffn: 256, ropeBase: 10000, ropeMode: "interleaved", normEps: 1e-5,
                                       contextLength: 96)
        let m = try SyntheticSource.model(config: config, layerType: .q4_1, embeddingType: .q8_0)
        let traced = try runner(m, device, persistent: true, profile: true)
        let started = Date()
        try compareGreedy(try runner(m, device, persistent: false), traced, prompt: [3, 141, 59], steps: 3, label: "traced")
        let wallMillis = Date().timeIntervalSince(started) * 1000
        let decode = try traced.executor(.decode)
        XCTAssertEqual(decode.fallbacks, 0)
        // The per-dispatch query timestamps: every kind of dispatch took time, and all of
        // them less than the test's wall clock.
        let ops = try XCTUnwrap(decode.profileTable())
        XCTAssertTrue(ops.contains { $0.op == "persistent" && $0.dispatches == 2 }, "\(ops)")
        for op in ops { XCTAssertGreaterThan(op.milliseconds, 0, op.op) }
        XCTAssertLessThan(ops.reduce(0) { $0 + $1.milliseconds }, wallMillis)
        let table = try XCTUnwrap(decode.persistentStageTable())
        let barriers = decode.stageTablesBarriers
        // One stretch more than grid barriers per persistent dispatch.
        XCTAssertEqual(table.reduce(0) { $0 + $1.perRun }, barriers + decode.stageTables.count, "\(table.map(\.stages))")
        XCTAssertTrue(table.contains { $0.stages.contains("attention") }, "\(table.map(\.stages))")
        for row in table {
            XCTAssertEqual(row.runs, 2, row.stages)   // the decode steps after the first (a prefill)
            XCTAssertGreaterThan(row.workMicros, 0, row.stages)
            XCTAssertLessThan(row.workMicros, 1e6, row.stages)
            XCTAssertGreaterThanOrEqual(row.slowestMicros, row.workMicros, row.stages)
            if let b = row.barrierMicros { XCTAssertGreaterThanOrEqual(b, 0, row.stages) }
            if let st = row.stagedMicros { XCTAssertLessThanOrEqual(st, row.slowestMicros, row.stages) }
        }
    }

    /// The trace's stamps relative to the run's first: a 32-bit clock (lavapipe's) wrapping
    /// inside a run still gives the right intervals, and a 64-bit clock's nanoseconds since
    /// an epoch keep their last digit.
    func testTraceStampsAcrossAClockWrap() {
        let wrap: UInt64 = 1 << 32
        // Stage starts at 2^32 − 300 ns and (after the wrap) 700 ns; a slot never written (0).
        let narrow = PersistentTracer.relativeStamps([wrap - 300, 0, wrap - 100, 0, 700, 0, 900, 0], starts: [0, 4])
        XCTAssertEqual(narrow[2], 200)
        XCTAssertEqual(narrow[4], 1000)
        XCTAssertEqual(narrow[6] - narrow[2], 1000)
        let epoch: UInt64 = 1_764_557_000_123_456_789
        let wide = PersistentTracer.relativeStamps([epoch, 0, epoch + 1, 0, epoch + 4_500_000_001, 0, epoch + 4_500_000_002, 0],
                                                   starts: [0, 4])
        XCTAssertEqual(wide[2], 1)
        XCTAssertEqual(wide[4], 4_500_000_001)   // beyond a 32-bit clock's range: not taken modulo 2^32
        XCTAssertEqual(wide[6] - wide[4], 1)
    }

    /// Prefill of `prompt` (in chunks of at most 8 tokens, the runners' largest), then greedy
    /// decode steps on both runners: at every step the logits within 1e-4 of max|logit| and
    /// the same next token.
    func compareGreedy(_ plain: VulkanRunner, _ other: VulkanRunner, prompt: [Int32], steps: Int, label: String) throws {
        var past = 0
        for start in stride(from: 0, to: prompt.count - 8, by: 8) {
            let chunk = Array(prompt[start ..< start + 8])
            _ = try plain.run(.prefill, tokens: chunk, past: past, logits: false)
            _ = try other.run(.prefill, tokens: chunk, past: past, logits: false)
            past += 8
        }
        var tokens = Array(prompt[past...])
        for step in 0..<steps {
            let stage: GraphStage = step == 0 ? .prefill : .decode
            let a = try plain.run(stage, tokens: tokens, past: past, logits: true)
            let b = try other.run(stage, tokens: tokens, past: past, logits: true)
            let scale = a.logits.map(abs).max()!
            let err = zip(a.logits, b.logits).map { abs($0 - $1) }.max()!
            XCTAssertLessThanOrEqual(err, 1e-4 * scale, "\(label) step \(step): max |Δlogit| \(err) of \(scale)")
            XCTAssertEqual(a.next, b.next, "\(label) step \(step)")
            past += tokens.count
            tokens = [a.next]
        }
    }

    func testPersistentMatchesPlainDispatches() throws {
        let device = try VulkanDevice()
        // The kernel needs subgroup arithmetic (off in the SLUICE_SUBGROUPS=0 pass of the
        // suite) and buffer device addresses.
        try XCTSkipUnless(device.info.subgroupArithmetic && device.info.bufferDeviceAddress,
                          "\(device.info.name): no subgroup arithmetic or buffer device addresses")
        // The third model's down projection has K = 4160, more than the kernel stages in
        // shared memory (4096): its rows are read (and normalized) from memory instead. The
        // second and third have float16 K/V caches (both runners): in dataflow mode (the
        // second) the attention stage reads this step's keys and values from their tagged
        // copies, rounded as the cache holds them, and the earlier ones from the cache.
        for (layer, embed, ffn, half) in [(DType.q4_1, DType.q8_0, 256, false), (.q4_1, .q8_0, 256, true), (.f16, .q4_0, 4160, true)] {
            if half { try XCTSkipUnless(device.info.storage16, "\(device.info.name): no 16-bit storage buffers") }
            let config = TransformerConfig(architecture: "llama", vocabSize: 320, hidden: 128, layers: 2, heads: 4, kvHeads: 2,
                                           headDim: 32, ffn: ffn, ropeBase: 10000, ropeMode: "interleaved", normEps: 1e-5,
                                           contextLength: 160)
            let m = try SyntheticSource.model(config: config, layerType: layer, embeddingType: embed)
            let plain = try runner(m, device, persistent: false, halfCache: half)
            // 48 output elements per unit of the fused output projection: two units per head
            // (at most two per head with one workgroup), each scoring the head's last slice.
            let fused = try runner(m, device, persistent: true, halfCache: half, headRows: 48)
            let decode = try fused.executor(.decode)
            XCTAssertTrue(decode.usesPersistentKernel, "\(layer)")
            // Every decoder layer's dispatches become stages of one dispatch.
            XCTAssertLessThanOrEqual(decode.dispatches.count, 5, "\(layer): \(decode.dispatches.map(\.kernel))")
            // The LM head (another weight type) and its argmax stay plain dispatches.
            XCTAssertEqual(decode.dispatches.last?.kernel, "argmax", "\(layer)")
            // Dataflow mode: every layer's attention waits for the new keys its QKV stage
            // wrote; the activations between stages go through tagged copies. A row longer
            // than the kernel stages (the down projection's 4160) keeps the grid barriers.
            if ffn > 4096 {
                XCTAssertEqual(decode.stageFlows.count, 1, "\(layer)")
                XCTAssertNil(decode.stageFlows.first ?? nil, "\(layer)")
            } else {
                let flow = try XCTUnwrap(decode.stageFlows.first ?? nil, "\(layer): no dataflow plan")
                XCTAssertEqual(flow.newKeys.count, config.layers, "\(layer)")
                XCTAssertEqual(flow.waitingAttention, config.layers, "\(layer)")
                // Every layer's attention slices pass their partials with tags.
                XCTAssertEqual(flow.taggedSplits, config.layers, "\(layer)")
                // Every layer's output projection is done by its attention units (counted
                // sums); the values it passed need no tagged copies.
                XCTAssertEqual(flow.fused.count, config.layers, "\(layer)")
                XCTAssertEqual(flow.replicas, 2, "\(layer)")
                XCTAssertGreaterThanOrEqual(flow.copies.count, 5 * config.layers - 1 - 2 * flow.fused.count, "\(layer): \(flow.copies.keys.sorted())")
            }
            XCTAssertFalse(try plain.executor(.decode).usesPersistentKernel)
            try compareGreedy(plain, fused, prompt: [3, 141, 59, 26, 5], steps: 8, label: "\(layer)")
            // No wait for a tagged value or barrier gave up.
            XCTAssertEqual(decode.fallbacks, 0, "\(layer)")
            // Past 64 keys split attention uses two slices, past 128 three: in dataflow mode
            // merged by the last slice from the others' tagged partials, with barriers by the
            // last slice to finish (counted).
            let long = (0..<126).map { Int32(($0 * 37 + 11) % 320) }
            try compareGreedy(try runner(m, device, persistent: false, halfCache: half),
                              try runner(m, device, persistent: true, halfCache: half, headRows: 48),
                              prompt: long, steps: 4, label: "\(layer), 126-token prompt")
        }
    }

    /// Split attention as a stage at head dims 128 and 80 (three sets of 80 invocations sum
    /// the values), 18 (not a multiple of four: keys staged and scored one value at a time,
    /// float16 ones two to a word) and 20, with two slices merged by the last to finish at the
    /// 70-token prompt — with a float32 cache slices longer than the keys staged at once (16 at
    /// 128 dims, 25 at 80), so later keys are staged after the wait. 16 heads of 18 and 8 of 20
    /// leave 2 and 4 QKV pairs for the last pass of lavapipe's 32 subgroups (which computed
    /// them wrong until the subgroups took even passes). One weight type, so the LM head is a
    /// stage too.
    func testAttentionHeadDims() throws {
        let device = try VulkanDevice()
        try XCTSkipUnless(device.info.subgroupArithmetic && device.info.bufferDeviceAddress,
                          "\(device.info.name): no subgroup arithmetic or buffer device addresses")
        let long = (0..<70).map { Int32(($0 * 53 + 7) % 320) }
        for (heads, dims, half) in [(2, 128, false), (2, 80, false), (16, 18, false), (16, 18, true), (8, 20, false)] {
            if half && !device.info.storage16 { continue }
            let config = TransformerConfig(architecture: "llama", vocabSize: 320, hidden: 128, layers: 2, heads: heads, kvHeads: 1,
                                           headDim: dims, ffn: 128, ropeBase: 10000, ropeMode: "half", normEps: 1e-5,
                                           contextLength: 96)
            let m = try SyntheticSource.model(config: config, layerType: .q8_0, embeddingType: .q8_0)
            let fused = try runner(m, device, persistent: true, halfCache: half)
            try compareGreedy(try runner(m, device, persistent: false, halfCache: half), fused, prompt: long, steps: 3,
                              label: "head dim \(dims)\(half ? ", float16 cache" : "")")
        }
    }

    /// A model small enough that every subgroup of the one workgroup lavapipe runs has one pass
    /// of columns: the matrix stages load their weights before staging the input row (raw8 /
    /// decode8 of weights.glsl), for the block formats with odd alignments (18- and 34-byte
    /// blocks) and bfloat16.
    func testEarlyWeightLoads() throws {
        let device = try VulkanDevice()
        try XCTSkipUnless(device.info.subgroupArithmetic && device.info.bufferDeviceAddress,
                          "\(device.info.name): no subgroup arithmetic or buffer device addresses")
        try XCTSkipUnless(device.info.subgroupSize <= 8, "\(device.info.name): subgroups of \(device.info.subgroupSize) leave too few per workgroup for one pass")
        for layer in [DType.q4_0, .q8_0, .bf16] {
            let config = TransformerConfig(architecture: "llama", vocabSize: 320, hidden: 32, layers: 2, heads: 2, kvHeads: 1,
                                           headDim: 16, ffn: 32, ropeBase: 10000, ropeMode: "half", normEps: 1e-5,
                                           contextLength: 96)
            let m = try SyntheticSource.model(config: config, layerType: layer, embeddingType: .q8_0)
            try compareGreedy(try runner(m, device, persistent: false), try runner(m, device, persistent: true),
                              prompt: [3, 141, 59, 26, 5], steps: 5, label: "\(layer)")
        }
    }

    /// The real model (30 layers, its own memory plan): its decode step is one persistent run
    /// of 150 stages planned in dataflow mode (PersistentFlow.swift finds no write that could
    /// overtake a read of the same memory), every layer's attention waiting for its new keys and
    /// doing its output projection.
    /// Decoded with the runs cut to 20 stages (what CPU drivers get: Persistent.Settings),
    /// the greedy ids are numpy's.
    func testRealModelDecodesInDataflowMode() throws {
        let device = try VulkanDevice()
        try XCTSkipUnless(device.info.subgroupArithmetic && device.info.bufferDeviceAddress && device.info.int64Atomics,
                          "\(device.info.name): no subgroup arithmetic, buffer device addresses or 64-bit atomics")
        let m = try ModelLoader.load(path: try SmolLM2Tests.modelPath())
        defer { Persistent.override = nil }
        // The GPU pass pipeline (norm prologues, split attention), as on the GPUs that use it.
        func runner(maxStages: Int?) throws -> VulkanRunner {
            Persistent.override = Persistent.Settings(enabled: true, groups: 1, spinLimit: 1 << 22, maxStages: maxStages)
            return try VulkanRunner(device: device, model: m, contextLength: 64, maxChunk: 16, passes: .standard)
        }
        let whole = try runner(maxStages: nil).executor(.decode)
        XCTAssertEqual(whole.persistentModes.map(\.stages), [5 * m.config.layers])
        let flow = try XCTUnwrap(whole.stageFlows.first ?? nil, "no dataflow plan: \(whole.dispatches.map(\.kernel))")
        XCTAssertEqual(flow.waitingAttention, m.config.layers)
        XCTAssertEqual(flow.newKeys.count, m.config.layers)
        // Every layer's output projection is done by its attention stage (the fused stages stay
        // in the table, with nothing to do).
        XCTAssertEqual(flow.fused.count, m.config.layers)

        let r = try runner(maxStages: 20)
        let decode = try r.executor(.decode)
        XCTAssertEqual(decode.persistentModes.map(\.stages).reduce(0, +), 5 * m.config.layers)
        // The first run starts from the embedding; the later ones start at a QKV stage that
        // reads the previous run's outputs plainly, which the attention partials may overwrite
        // (the arena reuses that memory) before every QKV workgroup has read them: those runs
        // keep their grid barriers.
        XCTAssertEqual(decode.persistentModes.map(\.dataflow), [true] + Array(repeating: false, count: decode.persistentModes.count - 1))
        XCTAssertTrue(decode.persistentModes.allSatisfy { $0.stages <= 20 }, "\(decode.persistentModes)")
        let p = try XCTUnwrap(try JSONDecoder().decode(SmolLM2Tests.Prompts.self, from: Data(contentsOf: SmolLM2Tests.fixtures.appendingPathComponent("prompts.json"))).prompts.first)
        let gen = Generator(runner: r)
        try gen.reset()
        var ids: [Int32] = []
        let n = min(5, p.greedy_ids.count)
        _ = try gen.generate(prompt: p.ids, maxTokens: n, sampling: SamplingParameters()) { ids.append($0); return true }
        XCTAssertEqual(ids, Array(p.greedy_ids.prefix(n)), p.text)
        XCTAssertEqual(decode.fallbacks, 0)
    }

    /// A grid barrier that gives up (here: at once, spin limit 0) makes the executor record
    /// the plain dispatches and run the step again: the results are still right, and later
    /// steps no longer use the persistent kernel.
    func testFallbackWhenABarrierGivesUp() throws {
        let device = try VulkanDevice()
        try XCTSkipUnless(device.info.subgroupArithmetic && device.info.bufferDeviceAddress,
                          "\(device.info.name): no subgroup arithmetic or buffer device addresses")
        let config = TransformerConfig(architecture: "llama", vocabSize: 320, hidden: 128, layers: 2, heads: 4, kvHeads: 2,
                                       headDim: 32, ffn: 256, ropeBase: 10000, ropeMode: "interleaved", normEps: 1e-5,
                                       contextLength: 96)
        let m = try SyntheticSource.model(config: config, layerType: .q4_1, embeddingType: .q8_0)
        let plain = try runner(m, device, persistent: false)
        let failing = try runner(m, device, persistent: true, spinLimit: 0)
        XCTAssertTrue(try failing.executor(.decode).usesPersistentKernel)
        try compareGreedy(plain, failing, prompt: [7, 8, 9], steps: 4, label: "fallback")
        XCTAssertFalse(try failing.executor(.decode).usesPersistentKernel)
        XCTAssertGreaterThan(try failing.executor(.decode).dispatches.count, 5)
        XCTAssertEqual(try failing.executor(.decode).fallbacks, 1)
        // With workgroups to retry with (on GPUs one per multiprocessor), a kernel that gives
        // up is tried once more with those before the plain dispatches.
        let retrying = try runner(m, device, persistent: true, spinLimit: 0, groups: 2, retryGroups: 1)
        try compareGreedy(plain, retrying, prompt: [7, 8, 9], steps: 3, label: "retry")
        XCTAssertEqual(try retrying.executor(.decode).fallbacks, 2)
        XCTAssertFalse(try retrying.executor(.decode).usesPersistentKernel)
    }
}
