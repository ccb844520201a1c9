import ArgumentParser
import Foundation
import Sluice

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure prefill and decode speed, in the style of llama-bench.",
        discussion: """
        ppN: prefill of N tokens from an empty cache; tgN: N decode steps (greedy, argmax on
        the GPU, steps chained on the GPU as in `sluice generate`; SLUICE_CHAIN_STEPS=1 runs
        a submission per step) after a one-token prompt. Each test runs once to warm up, then
        -r times; the table gives tokens per second as mean ± standard deviation. --profile
        runs a submission per step and, for the persistent decode kernel, also prints where
        its time goes between grid barriers (on devices with a device clock).
        """)

    @Option(name: .shortAndLong, help: "Model file (.gguf). Default: the fetched SmolLM2.")
    var model: String?
    @Option(help: "Random weights in the shape of a known model instead of a file: smollm2-135m, tinyllama-1.1b-q4k (K-quants).")
    var synthetic: String?
    @Option(name: .short, help: "Prompt tokens for the prefill test (0 skips it).")
    var p: Int = 512
    @Option(name: .short, help: "Tokens for the decode test (0 skips it).")
    var n: Int = 128
    @Option(name: .short, parsing: .singleValue, help: "Context depth: tokens already in the cache before each test (repeatable or comma-separated, like llama-bench -d).")
    var d: [String] = ["0"]
    @Option(name: .short, help: "Repetitions after the warm-up.")
    var r: Int = 5
    @Flag(help: "Print JSON instead of a table.")
    var json = false
    @Flag(help: "Print GPU time per operator (and inside the persistent kernel) for each test.")
    var profile = false
    @OptionGroup var deviceOptions: DeviceOptions
    @OptionGroup var passOptions: PassOptions

    func run() throws {
        guard p >= 0, n >= 0, r >= 1 else { throw CLIError("-p and -n must be ≥ 0, -r ≥ 1") }
        let depths = try d.flatMap { $0.split(separator: ",") }.map { s -> Int in
            guard let v = Int(s.trimmingCharacters(in: .whitespaces)), v >= 0 else { throw CLIError("-d: '\(s)' is not a token count ≥ 0") }
            return v
        }
        let m: LoadedModel
        if let s = synthetic { m = try SyntheticSource.model(s) } else {
            let path = model ?? environmentValue("SLUICE_MODEL") ?? ModelOptions.defaultModel
            m = try ModelLoader.load(path: path)
        }
        let device = try deviceOptions.open()
        let maxDepth = depths.max() ?? 0
        let ctx = maxDepth + max(p, n + 2, 2)
        // Prefill chunks: the -p test's rows, and at least 512 (or the deepest depth) for filling
        // the cache before a test at depth (untimed); with -p 0 alone a depth was filled one
        // token at a time (a -d 0,…,4096 sweep took ~47 s on the H200, llama-bench's 10).
        let chunk = max(p, min(maxDepth, 512), 1)
        let runner = try VulkanRunner(device: device, model: m, contextLength: ctx, maxChunk: chunk, profile: profile,
                                      passes: try passOptions.manager(for: device.info))
        let gen = Generator(runner: runner)
        var rng = SplitMix64(seed: 42)
        let ids = (0..<max(p, 1) + maxDepth).map { _ in Int32(rng.next() % UInt64(m.config.vocabSize)) }
        var rows: [(test: String, rates: [Double])] = []
        // The greedy ids of each decode test's last run, in the JSON: runs that must compute
        // the same thing (another kernel path, another device) can be compared by them.
        var decoded: [String: [Int32]] = [:]
        var checksums: [String: [Double]] = [:]
        for depth in depths {
            let context = Array(ids[max(p, 1)...].prefix(depth))
            let suffix = depth > 0 ? " @ d\(depth)" : ""
            if p > 0 {
                var rates: [Double] = []
                for i in 0...r {
                    try gen.reset()
                    if depth > 0 { _ = try gen.prefill(context, logits: false) }
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    _ = try gen.prefill(Array(ids[..<p]), logits: false)
                    let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                    if i > 0 { rates.append(Double(p) / dt) }
                }
                rows.append(("pp\(p)" + suffix, rates))
            }
            if n > 0 {
                var rates: [Double] = []
                var tokens: [Int32] = []
                for i in 0...r {
                    try gen.reset()
                    tokens = []
                    // The prompt's prefill is timed apart from the decode steps.
                    let stats = try gen.generate(prompt: context + [ids[0]], maxTokens: n + 1, sampling: SamplingParameters()) { t in
                        tokens.append(t)
                        return true
                    }
                    if i > 0 { rates.append(stats.decodeTokensPerSecond) }
                }
                rows.append(("tg\(n)" + suffix, rates))
                decoded["tg\(n)" + suffix] = tokens
                if json {
                    // One more run, untimed, that brings the logits back: a weighted sum per
                    // step for the first 8 steps (cheap to compare, sensitive to any change).
                    try gen.reset()
                    var sums: [Double] = []
                    _ = try gen.generate(prompt: context + [ids[0]], maxTokens: min(n + 1, 8), sampling: SamplingParameters(),
                                         onLogits: { l in sums.append(l.enumerated().reduce(0.0) { $0 + Double($1.element) * Double($1.offset % 7 + 1) }) }) { _ in true }
                    checksums["tg\(n)" + suffix] = sums
                }
            }
        }
        // The K/V cache states as planned (float16 with --kv-cache f16).
        let caches = try runner.executor(.decode).graph.params.filter { $0.kind == .state && $0.name.hasPrefix("cache.") }
        let kvBytes = caches.isEmpty ? 2 * m.config.layers * ctx * m.config.kvHeads * m.config.headDim * 4
            : caches.reduce(0) { $0 + ($1.type.dtype.byteCount(forElements: ctx * ($1.type.shape.last?.fixedValue ?? 0)) ?? 0) }
        let name = synthetic.map { "\($0) (synthetic)" } ?? (m.path as NSString).lastPathComponent
        let size = Double(m.fileBytes) / 1_048_576
        if json {
            let obj: [String: Any] = [
                "model": name, "size_bytes": m.fileBytes, "params": m.parameterCount, "device": device.info.name,
                "device_bytes": runner.deviceBytes, "kv_cache_bytes": kvBytes,
                "tests": rows.map { row -> [String: Any] in
                    var o: [String: Any] = ["test": row.test, "tokens_per_second": mean(row.rates), "sd": sd(row.rates), "runs": row.rates]
                    if let t = decoded[row.test] { o["ids"] = t.map(Int.init) }
                    if let c = checksums[row.test] { o["logit_checksums"] = c }
                    return o
                },
            ]
            let data = try JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("| model | size | params | device | test | t/s |")
            print("| --- | ---: | ---: | --- | --- | ---: |")
            for row in rows {
                print("| \(name) | \(String(format: "%.2f MiB", size)) | \(String(format: "%.2f M", Double(m.parameterCount) / 1e6)) | \(device.info.name) | \(row.test) | \(String(format: "%.2f ± %.2f", mean(row.rates), sd(row.rates))) |")
            }
            print(String(format: "GPU memory: %.1f MiB (model %.1f MiB + KV cache %.1f MiB = %.1f MiB; ratio %.2f)",
                         Double(runner.deviceBytes) / 1_048_576, size, Double(kvBytes) / 1_048_576,
                         size + Double(kvBytes) / 1_048_576, Double(runner.deviceBytes) / Double(m.fileBytes + kvBytes)))
        }
        if profile { runner.printProfiles() }
    }

    func mean(_ a: [Double]) -> Double { a.reduce(0, +) / Double(max(a.count, 1)) }
    func sd(_ a: [Double]) -> Double {
        guard a.count > 1 else { return 0 }
        let m = mean(a)
        return (a.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(a.count - 1)).squareRoot()
    }
}
