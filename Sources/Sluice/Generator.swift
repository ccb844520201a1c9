import Foundation
import SluiceFrontends
import SluiceGraph

/// Timings and counts of one generation.
public struct GenerationStats: Sendable {
    public var promptTokens = 0
    public var prefillSeconds = 0.0
    public var generatedTokens = 0
    public var decodeSeconds = 0.0
    public var prefillTokensPerSecond: Double { prefillSeconds > 0 ? Double(promptTokens) / prefillSeconds : 0 }
    /// Decode rate over the steps after the first generated token.
    public var decodeTokensPerSecond: Double { decodeSeconds > 0 ? Double(max(generatedTokens - 1, 0)) / decodeSeconds : 0 }
}

/// Prefill and decode over one KV cache, keeping the tokens already in the cache so a chat
/// can continue where it left off.
public final class Generator {
    public let runner: ModelRunner
    /// Tokens in the KV cache, in order.
    public private(set) var history: [Int32] = []

    public init(runner: ModelRunner) { self.runner = runner }

    /// Empties the cache.
    public func reset() throws { try runner.reset(); history = [] }

    /// Feeds `tokens` into the cache in chunks; returns the logits and argmax after the last.
    @discardableResult
    public func prefill(_ tokens: [Int32], logits: Bool = true) throws -> (logits: [Float], next: Int32) {
        guard !tokens.isEmpty else { throw SluiceError.badOption("prompt", "is empty") }
        guard history.count + tokens.count <= runner.contextLength else {
            throw SluiceError.contextFull(needed: history.count + tokens.count, capacity: runner.contextLength)
        }
        var last: (logits: [Float], next: Int32) = ([], 0)
        var i = 0
        while i < tokens.count {
            let chunk = Array(tokens[i ..< min(tokens.count, i + runner.maxChunk)])
            let lastChunk = i + chunk.count == tokens.count
            last = try runner.run(.prefill, tokens: chunk, past: history.count, logits: logits && lastChunk)
            history += chunk
            i += chunk.count
        }
        return last
    }

    /// Generates up to `maxTokens` after `prompt`. `onToken` gets each new id and returns
    /// false to stop (stop strings, EOS); the logits of each step go to `onLogits`.
    public func generate(prompt: [Int32], maxTokens: Int, sampling: SamplingParameters,
                         onLogits: (([Float]) -> Void)? = nil,
                         onToken: (Int32) -> Bool) throws -> GenerationStats {
        try sampling.validate()
        guard maxTokens >= 0 else { throw SluiceError.badOption("-n", "must be ≥ 0") }
        let needed = history.count + prompt.count + maxTokens
        guard needed <= runner.contextLength else {
            throw SluiceError.contextFull(needed: needed, capacity: runner.contextLength)
        }
        var stats = GenerationStats()
        stats.promptTokens = prompt.count
        // Logits come back to the host only when the sampler or the caller needs them.
        let needLogits = !sampling.isGreedy || onLogits != nil
        var t0 = Date()
        var (logits, next) = try prefill(prompt, logits: needLogits)
        stats.prefillSeconds = Date().timeIntervalSince(t0)
        if !needLogits {
            try generateGreedy(first: next, maxTokens: maxTokens, stats: &stats, onToken: onToken)
            return stats
        }
        var sampler = Sampler(sampling)
        t0 = Date()
        for step in 0..<maxTokens {
            onLogits?(logits)
            let id = sampling.isGreedy ? next : sampler.sample(logits, history: history)
            stats.generatedTokens += 1
            if step == 0 { t0 = Date() }
            guard onToken(id), step + 1 < maxTokens else { break }
            (logits, next) = try runner.run(.decode, tokens: [id], past: history.count, logits: needLogits)
            history.append(id)
        }
        stats.decodeSeconds = Date().timeIntervalSince(t0)
        return stats
    }

    /// Greedy generation in chains of steps (`runGreedy`): each chain feeds the previous
    /// token and the ones it chooses itself; the ids come back together at its end. A chain
    /// is twice as long as the last while that one took under `chainSeconds` (so on a slow
    /// device every token still comes back on its own). A stop inside a chain keeps the
    /// tokens fed up to the stop in the history, as the step-by-step loop does.
    func generateGreedy(first: Int32, maxTokens: Int, stats: inout GenerationStats, onToken: (Int32) -> Bool) throws {
        guard maxTokens > 0 else { return }
        var t0 = Date()
        stats.generatedTokens = 1
        guard onToken(first), maxTokens > 1 else { stats.decodeSeconds = Date().timeIntervalSince(t0); return }
        t0 = Date()
        var id = first, steps = 1
        defer { stats.decodeSeconds = Date().timeIntervalSince(t0) }
        while true {
            let n = min(steps, maxTokens - stats.generatedTokens, runner.maxGreedySteps)
            let started = Date()
            let out = try runner.runGreedy(first: id, past: history.count, steps: n)
            let fed = [id] + out.dropLast()
            for (k, o) in out.enumerated() {
                stats.generatedTokens += 1
                if !onToken(o) || stats.generatedTokens >= maxTokens {
                    history += fed[...k]
                    return
                }
            }
            history += fed
            id = out[n - 1]
            if Date().timeIntervalSince(started) * 2 < chainSeconds { steps = min(2 * steps, runner.maxGreedySteps) }
        }
    }

    /// The longest a chain of greedy steps should take (the pause between streamed pieces).
    public var chainSeconds = 0.1

    /// Perplexity over consecutive non-overlapping windows of `window` tokens, each from an
    /// empty cache, scoring every token after the first of a window. Returns (ppl, scored).
    public func perplexity(_ ids: [Int32], window: Int, chunks: Int?) throws -> (Double, Int) {
        guard window >= 2 else { throw SluiceError.badOption("-c", "must be at least 2") }
        guard window <= runner.contextLength else { throw SluiceError.contextFull(needed: window, capacity: runner.contextLength) }
        var nll = 0.0, scored = 0, w = 0
        while (w + 1) * window <= ids.count, chunks.map({ w < $0 }) ?? true {
            let seq = Array(ids[w * window ..< (w + 1) * window])
            try reset()
            var rowLogits: [[Float]] = []
            var i = 0
            while i < seq.count {
                let chunk = Array(seq[i ..< min(seq.count, i + runner.maxChunk)])
                let out = try runner.run(.score, tokens: chunk, past: i, logits: true)
                let v = out.logits.count / chunk.count
                for r in 0..<chunk.count { rowLogits.append(Array(out.logits[r * v ..< (r + 1) * v])) }
                i += chunk.count
            }
            for p in 0..<(seq.count - 1) {
                nll -= logSoftmax(rowLogits[p], at: Int(seq[p + 1]))
                scored += 1
            }
            w += 1
        }
        try reset()
        guard scored > 0 else {
            throw SluiceError.badOption("-f", "the text has \(ids.count) tokens, fewer than one window of \(window)")
        }
        return (Foundation.exp(nll / Double(scored)), scored)
    }
}

/// log softmax(logits)[i] in float64.
public func logSoftmax(_ logits: [Float], at i: Int) -> Double {
    let m = Double(logits.max() ?? 0)
    let z = logits.reduce(0.0) { $0 + Foundation.exp(Double($1) - m) }
    return Double(logits[i]) - m - Foundation.log(z)
}
