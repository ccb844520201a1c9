import SluiceGraph

/// Runs a graph on Vulkan and on the reference interpreter with the same inputs and
/// compares every output. This is what `sluice run --check` prints.
public enum CrossCheck {
    public struct Result {
        public var output: String
        /// max |vulkan − reference| / max |reference| (for integer outputs: the fraction that differ).
        public var error: Double
        public var tolerance: Double
        public var passed: Bool { error <= tolerance }
    }

    /// The tolerance of each value: the sum of the stated op tolerances along the longest
    /// chain that produces it (float32 rounding compounds roughly additively).
    /// Nodes in `float16Inputs` (VulkanExecutor.float16InputNodes) and nodes with float16
    /// results get at least `float16Tolerance`: values rounded to float16 (11 significant
    /// bits) on the way in or out.
    /// 2⁻¹⁰: twice float16's rounding step, relative to the largest value of the result.
    public static let float16Tolerance = 1.0 / 1024

    public static func tolerances(_ g: Graph, registry: OpRegistry = .shared, float16Inputs: Set<String> = []) -> [String: Double] {
        var tol: [String: Double] = [:]
        for p in g.params { tol[p.name] = 0 }
        for n in g.nodes {
            var own = Double(registry[n.op]?.tolerance ?? 1e-5)
            // float16 results (a half K/V cache): one rounding step apart when the float32
            // values straddle a rounding boundary.
            if float16Inputs.contains(n.label) || n.outputs.contains(where: { $0.type.dtype == .f16 }) { own = max(own, float16Tolerance) }
            let t = (n.inputs.map { tol[$0] ?? 0 }.max() ?? 0) + max(own, 1e-6)
            for o in n.outputs { tol[o.name] = t }
        }
        return tol
    }

    public static func compare(_ got: HostTensor, _ want: HostTensor) -> Double {
        if want.dtype == .i32 {
            let a = got.ints(), b = want.ints()
            guard a.count == b.count, !a.isEmpty else { return a.count == b.count ? 0 : 1 }
            return Double(zip(a, b).filter { $0 != $1 }.count) / Double(a.count)
        }
        let a = got.floats(), b = want.floats()
        guard a.count == b.count else { return .infinity }
        var scale = 0.0, worst = 0.0
        for (x, y) in zip(a, b) {
            scale = max(scale, abs(Double(y)))
            let d = abs(Double(x) - Double(y))
            worst = d.isNaN ? .infinity : max(worst, d)
        }
        return worst / max(scale, 1e-30)
    }

    /// Runs both and compares; `feeds` holds inputs and weights, `state` the initial state.
    public static func run(device: VulkanDevice, graph: Graph, feeds: [String: HostTensor], state: [String: HostTensor],
                           bindings: Bindings) throws -> [Result] {
        var refState = state
        let want = try ReferenceInterpreter(graph: graph).run(feeds: feeds, state: &refState, bindings: bindings)
        let weights = feeds.filter { name, _ in graph.params.contains { $0.name == name && $0.kind == .weight } }
        let exec = try VulkanExecutor(device: device, graph: graph, bindings: bindings, weights: weights)
        for (name, t) in state { try exec.setState(name, t) }
        let inputs = feeds.filter { name, _ in graph.params.contains { $0.name == name && $0.kind == .input } }
        let got = try exec.run(inputs: inputs, bindings: ["P": bindings["P"] ?? 0])
        let tol = tolerances(graph, float16Inputs: exec.float16InputNodes)
        return graph.outputs.map { o in Result(output: o, error: compare(got[o]!, want[o]!), tolerance: tol[o] ?? 1e-5) }
    }
}
