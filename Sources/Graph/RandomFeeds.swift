/// Deterministic random inputs, weights and state for a graph: what `sluice run` feeds when
/// no data is given, and what tests use to compare runs.
public struct RandomFeeds {
    public var feeds: [String: HostTensor] = [:]
    public var state: [String: HostTensor] = [:]
    public var bindings: Bindings

    /// Default sizes for the usual symbols; other symbols get 8.
    public static let defaultBindings: Bindings = ["T": 5, "P": 0, "C": 16]

    /// Values in [-1, 1) for activations, weights scaled by 1/sqrt(K) for matrices so deep
    /// graphs stay in range, norm weights near 1, ids inside the table they index.
    public init(graph: Graph, bindings: Bindings = [:], seed: UInt64) throws {
        var b = Self.defaultBindings.merging(bindings) { _, new in new }
        for p in graph.params { for case .symbol(let s) in p.type.shape where b[s] == nil { b[s] = 8 } }
        self.bindings = b
        var rng = SplitMix64(seed: seed)
        var idRange: [String: Int] = [:]
        for n in graph.nodes where n.op == "embedding" {
            if let t = graph.values[n.inputs[0]], let rows = t.type.shape[0].resolve(b) { idRange[n.inputs[1]] = rows }
        }
        var normWeights = Set<String>()
        for n in graph.nodes where n.op == "rms_norm" || n.op == "layer_norm" { normWeights.insert(n.inputs[1]) }
        for p in graph.params {
            guard let dims = p.type.resolve(b), let count = Shape.product(dims) else {
                throw GraphError.run("%\(p.name): cannot size \(p.type) under \(b)")
            }
            let t: HostTensor
            switch p.type.dtype {
            case .i32:
                let range = idRange[p.name] ?? 16
                // A state (a kernel's counters) starts zeroed.
                t = HostTensor(i32: (0..<count).map { _ in p.kind == .state ? 0 : Int32(rng.next() % UInt64(max(range, 1))) }, shape: dims)
            case .f32 where p.kind != .weight:
                t = HostTensor(f32: (0..<count).map { _ in p.kind == .state ? 0 : rng.nextSignedUnit() }, shape: dims)
            default:
                let k = Float(dims.last ?? 1)
                let isNorm = normWeights.contains(p.name)
                let scale: Float = dims.count >= 2 ? 1 / k.squareRoot() : (isNorm ? 0.25 : 0.5)
                var bytes = Quantize.randomBytes(p.type.dtype, count: count, scale: scale, rng: &rng)
                if isNorm && p.type.dtype == .f32 {
                    let vals = (0..<count).map { _ in 1 + 0.25 * rng.nextSignedUnit() }
                    bytes = Quantize.encode(vals, as: .f32)
                }
                t = try HostTensor(dtype: p.type.dtype, shape: dims, bytes: ByteBuffer(bytes))
            }
            if p.kind == .state { state[p.name] = t } else { feeds[p.name] = t }
        }
    }
}
