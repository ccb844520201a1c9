import Foundation
import SluiceGraph

/// How the next token is chosen from the logits.
public struct SamplingParameters: Sendable {
    public var temperature: Float = 0
    public var topK: Int = 0
    public var topP: Float = 1
    public var minP: Float = 0
    public var repeatPenalty: Float = 1
    /// How many recent tokens the repetition penalty looks at.
    public var repeatWindow: Int = 64
    public var seed: UInt64 = 0

    public init() {}

    /// Greedy when the temperature is 0 and no penalty applies: the GPU's argmax is used.
    public var isGreedy: Bool { temperature <= 0 && repeatPenalty == 1 }

    /// Throws on values outside their meaning, naming the option.
    public func validate() throws {
        func bad(_ o: String, _ why: String) -> SluiceError { .badOption(o, why) }
        guard temperature >= 0, temperature.isFinite else { throw bad("--temp", "must be ≥ 0") }
        guard topK >= 0 else { throw bad("--top-k", "must be ≥ 0 (0 = off)") }
        guard topP > 0, topP <= 1 else { throw bad("--top-p", "must be in (0, 1]") }
        guard minP >= 0, minP < 1 else { throw bad("--min-p", "must be in [0, 1)") }
        guard repeatPenalty > 0, repeatPenalty.isFinite else { throw bad("--repeat-penalty", "must be > 0") }
    }
}

/// Temperature, top-k, top-p, min-p and repetition-penalty sampling, seeded.
public struct Sampler {
    public var params: SamplingParameters
    var rng: SplitMix64

    public init(_ params: SamplingParameters) {
        self.params = params
        rng = SplitMix64(seed: params.seed)
    }

    /// The next token for `logits`, given the tokens so far (for the repetition penalty).
    public mutating func sample(_ logits: [Float], history: [Int32]) -> Int32 {
        var l = logits
        if params.repeatPenalty != 1 {
            for id in Set(history.suffix(params.repeatWindow)) where Int(id) < l.count && id >= 0 {
                let v = l[Int(id)]
                l[Int(id)] = v > 0 ? v / params.repeatPenalty : v * params.repeatPenalty
            }
        }
        if params.temperature <= 0 {
            var best = 0
            for i in 1..<l.count where l[i] > l[best] { best = i }
            return Int32(best)
        }
        // Candidates by descending logit.
        var idx = Array(l.indices)
        if params.topK > 0 && params.topK < idx.count {
            idx = Array(idx.sorted { l[$0] > l[$1] }.prefix(params.topK))
        } else {
            idx.sort { l[$0] > l[$1] }
        }
        let m = l[idx[0]]
        var probs = idx.map { Double(Foundation.exp((l[$0] - m) / params.temperature)) }
        var z = probs.reduce(0, +)
        probs = probs.map { $0 / z }
        if params.minP > 0 {
            let cut = Double(params.minP) * probs[0]
            let keep = max(1, probs.prefix { $0 >= cut }.count)
            idx = Array(idx.prefix(keep)); probs = Array(probs.prefix(keep))
        }
        if params.topP < 1 {
            var acc = 0.0, keep = 0
            for p in probs { acc += p; keep += 1; if acc >= Double(params.topP) { break } }
            idx = Array(idx.prefix(keep)); probs = Array(probs.prefix(keep))
        }
        z = probs.reduce(0, +)
        var r = Double(rng.next() >> 11) / Double(1 << 53) * z
        for (i, p) in zip(idx, probs) {
            r -= p
            if r <= 0 { return Int32(i) }
        }
        return Int32(idx.last!)
    }
}
