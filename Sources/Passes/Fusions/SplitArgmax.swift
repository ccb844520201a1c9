import Foundation
import SluiceGraph

/// The argmax of a few long rows (an LM head's logits in a decode step) split over slices:
/// `argmax_split` finds each slice's best value in parallel, and the last workgroup of a row
/// to finish reduces them, in one dispatch. A single workgroup walking a row of 49,152 logits
/// is bound by what one multiprocessor can read (17 µs on an H200).
public enum SplitArgmax {
    /// Values per slice the pass aims at, rows it handles, and the most slices a row gets.
    public static let valuesPerSlice = 1024
    public static let maxRows = 4
    public static let maxSlices = 64
    /// Rows shorter than this keep the one-workgroup argmax.
    public static let minimumLength = 8192

    /// The slice count of a row of `d` values.
    public static func slices(_ d: Int) -> Int { min(maxSlices, max(1, (d + valuesPerSlice - 1) / valuesPerSlice)) }

    /// The values of slice s of a row of d: [s·per, min((s+1)·per, d)) with per = ⌈d / slices⌉.
    static func slice(_ s: Int, d: Int, slices: Int) -> Range<Int> {
        let per = (d + slices - 1) / slices, lo = min(s * per, d)
        return lo..<min(lo + per, d)
    }

    /// partials[r, 2s…2s+1] = [the largest value of slice s, its lowest index] (−3.4e38, −1 for
    /// an empty slice).
    static func partials(_ x: HostTensor, slices: Int) -> HostTensor {
        let d = x.shape.last ?? 0
        var out = [Float]()
        for r in 0..<x.rowCount {
            let row = x.row(r)
            for s in 0..<slices {
                let range = slice(s, d: d, slices: slices)
                var best = range.lowerBound
                for i in range where row[i] > row[best] { best = i }
                out += range.isEmpty ? [-3.4e38, -1] : [row[best], Float(best)]
            }
        }
        return HostTensor(f32: out, shape: [x.rowCount, 2 * slices])
    }

    /// argmax over slices of the row in one dispatch; outputs: the indices, the slices'
    /// partial results (scratch), the counters (a zeroed state the kernel leaves zeroed).
    public static let op = OpDefinition(
        name: "argmax_split", inputs: ["x", "counters"], attributes: [AttrSpec("slices", .int, minimum: 1)],
        outputStorage: [.fresh, .fresh, .update(1)],
        summary: "index of the largest value per row, the row split over slices reduced by the last to finish",
        inferTypes: { c in
            try c.require(0, [.f32], "x"); try c.requireRank(0, 2...2, "x")
            guard case .fixed(let rows) = c.inputs[0].shape[0], rows <= maxRows else { throw c.fail("x must have a fixed row count ≤ \(maxRows)") }
            guard case .fixed(let d) = c.inputs[0].shape[1], d < 1 << 24 else { throw c.fail("x must have a fixed row length < 2^24") }
            try c.require(1, [.i32], "counters")
            guard c.inputs[1].shape == [.fixed(maxRows)] else { throw c.fail("counters must be i32[\(maxRows)]") }
            guard c.int("slices") <= min(d, maxSlices) else { throw c.fail("slices must be at most min(row length, \(maxSlices))") }
            return [TensorType(.i32, [.fixed(rows)]), TensorType(.f32, [.fixed(rows), .fixed(2 * c.int("slices"))]), c.inputs[1]]
        },
        reference: { c in
            let y = try FusedOps.ref(ReductionOps.argmax, c, [c.inputs[0]])[0]
            return [y, partials(c.inputs[0], slices: c.int("slices")), c.inputs[1]]
        })

    /// argmax over a few long rows → argmax_split with a zeroed counter state.
    public static let pass = Pass(name: "split-argmax", summary: "argmax of a few long rows → slices in parallel, reduced by the last") { g in
        var changed = 0
        let types = g.values.mapValues(\.type)
        for i in g.nodes.indices where g.nodes[i].op == "argmax" {
            let n = g.nodes[i]
            guard let t = types[n.inputs[0]], t.dtype == .f32, t.rank == 2,
                  case .fixed(let rows) = t.shape[0], rows <= maxRows,
                  case .fixed(let d) = t.shape[1], d >= minimumLength, d < 1 << 24 else { continue }
            let out = n.outputs[0].name, counters = "\(out).counters"
            guard !g.params.contains(where: { $0.name == counters }) else { continue }
            g.params.append(Value(counters, TensorType(.i32, [.fixed(maxRows)]), kind: .state))
            let s = slices(d)
            g.nodes[i] = Node(op: "argmax_split", inputs: n.inputs + [counters],
                              outputs: [n.outputs[0], Value("\(out).partials", TensorType(.f32, [.fixed(rows), .fixed(2 * s)])),
                                        Value("\(out).counters_after", TensorType(.i32, [.fixed(maxRows)]))],
                              attributes: ["slices": .int(s)])
            changed += 1
        }
        return changed
    }
}
