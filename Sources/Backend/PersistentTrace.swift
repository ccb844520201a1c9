import CVulkan
import Foundation

/// Where the persistent kernel's time goes, from the timestamps its trace variant
/// (Kernels/persistent_trace.comp) writes under `--profile` on devices with a device clock:
/// per stretch between two grid barriers, how long the workgroups work, how long the
/// slowest one takes, and how long after the last arrival the workgroups start the next
/// stretch (the grid barrier's own cost). In dataflow mode (no grid barriers) a stretch's
/// times include waiting for its inputs, stretches overlap, and there is no barrier cost.
public struct PersistentStageProfile: Sendable {
    /// The operators of the stretch's stages, joined by " + ".
    public var stages: String
    /// Stretches of this kind per run, and runs measured.
    public var perRun: Int
    public var runs: Int
    /// Means over runs and stretches, in microseconds: a workgroup from the stretch's start
    /// to its arrival at the next barrier (mean over workgroups, and the slowest), to its
    /// input row being staged (an attention unit: its inputs being in), and from the last
    /// arrival to the mean start of the next stretch (nil in dataflow mode).
    public var workMicros: Double
    public var slowestMicros: Double
    public var stagedMicros: Double?
    public var barrierMicros: Double?
    /// Mean time from the previous stretch's last workgroup finishing (or the run's first
    /// start) to this stretch's last workgroup finishing: the stretch's share of the run's
    /// critical path (in dataflow mode the one number that does not overlap; they add up to
    /// the run).
    public var pathMicros: Double
    /// Of the path: from the stretch before finishing to the last workgroup having its input
    /// row staged or its attention inputs in (the hand-over: the producer's stores reaching
    /// the consumers' polls, and the staging); the rest of the path is the product or the
    /// attention, and its stores.
    public var handoffMicros: Double?
}

final class PersistentTracer {
    struct Totals { var count = 0, work = 0.0, slowest = 0.0, staged = 0.0, barrier = 0.0, barrierCount = 0, path = 0.0, handoff = 0.0 }
    /// One buffer per persistent dispatch: (stages + 1) × groups × 4 stamps of 8 bytes.
    var buffers: [GPUBuffer] = []
    /// Per dispatch: the stage operators, whether a grid barrier precedes each stage, and
    /// whether it runs in dataflow mode.
    var tables: [(ops: [String], barrier: [Bool], flow: Bool)] = []
    var order: [String] = []
    var totals: [String: Totals] = [:]
    var runs = 0
    let groups: Int

    init(groups: Int) { self.groups = groups }

    func add(device: VulkanDevice, ops: [String], barrier: [Bool], flow: Bool) throws -> GPUBuffer {
        let b = try GPUBuffer(device: device, size: (ops.count + 1) * groups * 32, use: .deviceLocal, label: "persistent kernel timestamps")
        buffers.append(b)
        tables.append((ops, barrier, flow))
        return b
    }

    /// Adds one run's timestamps.
    func collect() throws {
        runs += 1
        for (b, table) in zip(buffers, tables) {
            let bytes = try b.download(offset: 0, count: b.size)
            let raw: [UInt64] = bytes.withUnsafeBytes { Array($0.bindMemory(to: UInt64.self)) }
            let n = table.ops.count
            let t = Self.relativeStamps(raw, starts: (0..<n * groups).map { $0 * 4 })
            func stamp(_ si: Int, _ g: Int, _ slot: Int) -> Double { t[(si * groups + g) * 4 + slot] }
            var start = 0
            var done = (0..<groups).map { stamp(0, $0, 0) }.min() ?? 0
            while start < n {
                var end = start + 1
                while end < n && !table.barrier[end] { end += 1 }
                let label = table.ops[start..<end].joined(separator: " + ")
                var x = totals[label] ?? { order.append(label); return Totals() }()
                var work = 0.0, slowest = 0.0, staged = 0.0, lastArrival = 0.0, nextStart = 0.0, lastStaged = 0.0
                for g in 0..<groups {
                    let w = stamp(end, g, 2) - stamp(start, g, 0)
                    work += w
                    slowest = max(slowest, w)
                    staged += stamp(start, g, 1) - stamp(start, g, 0)
                    lastArrival = max(lastArrival, stamp(end, g, 2))
                    lastStaged = max(lastStaged, stamp(start, g, 1))
                    if end < n { nextStart += stamp(end, g, 0) }
                }
                x.count += 1
                x.path += lastArrival - done
                x.handoff += lastStaged - done
                done = lastArrival
                x.work += work / Double(groups)
                x.slowest += slowest
                x.staged += staged / Double(groups)
                if end < n && !table.flow {
                    x.barrier += nextStart / Double(groups) - lastArrival
                    x.barrierCount += 1
                }
                totals[label] = x
                start = end
            }
        }
    }

    /// A run's stamps in nanoseconds after its first one (raw[0], workgroup 0 starting stage
    /// 0): a device clock's absolute values (nanoseconds since an epoch, ~1.7e18) would lose
    /// their last eight bits as doubles. Some clocks are 32 bits wide (lavapipe in Mesa 22.3
    /// returns a zero high word), so they wrap every 4.3 s: when every stage start in `starts`
    /// (indices of stamps always written) has a zero high word, differences are taken modulo
    /// 2^32, which is right for stamps within 2.1 s of the first.
    static func relativeStamps(_ raw: [UInt64], starts: [Int]) -> [Double] {
        guard let ref = raw.first else { return [] }
        let narrow = starts.allSatisfy { raw[$0] >> 32 == 0 }
        return raw.map { v in
            narrow ? Double(Int32(truncatingIfNeeded: v &- ref)) : Double(Int64(bitPattern: v &- ref))
        }
    }

    func table() -> [PersistentStageProfile] {
        order.map { label in
            let x = totals[label]!
            return PersistentStageProfile(
                stages: label, perRun: runs > 0 ? x.count / runs : 0, runs: runs,
                workMicros: x.work / Double(x.count) / 1000, slowestMicros: x.slowest / Double(x.count) / 1000,
                stagedMicros: x.staged / Double(x.count) / 1000,
                barrierMicros: x.barrierCount > 0 ? x.barrier / Double(x.barrierCount) / 1000 : nil,
                pathMicros: x.path / Double(x.count) / 1000,
                handoffMicros: x.handoff / Double(x.count) / 1000)
        }
    }
}

extension VulkanExecutor {
    /// Where the persistent kernel's time goes (nil unless profiling on a device with a
    /// device clock and the step runs through the persistent kernel).
    public func persistentStageTable() -> [PersistentStageProfile]? {
        guard usesPersistentKernel, let t = tracer, t.runs > 0 else { return nil }
        return t.table()
    }
}

extension VulkanExecutor {
    /// Grid barriers per run across the persistent dispatches (tests).
    var stageTablesBarriers: Int { tracer?.tables.reduce(0) { $0 + $1.barrier.filter { $0 }.count } ?? 0 }
}
