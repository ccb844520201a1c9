import SluiceGraph

/// The order nodes run in and where barriers go.
public enum Scheduler {
    /// Nodes reordered by dependency level (stable within a level), so independent
    /// dispatches sit next to each other and can share a barrier.
    public static func levelOrder(_ graph: Graph) -> Graph {
        let producers = graph.producers
        var level = [Int](repeating: 0, count: graph.nodes.count)
        for (i, node) in graph.nodes.enumerated() {
            var l = 0
            for x in node.inputs { if let p = producers[x] { l = max(l, level[p] + 1) } }
            level[i] = l
        }
        var g = graph
        g.nodes = graph.nodes.indices.sorted { (level[$0], $0) < (level[$1], $1) }.map { graph.nodes[$0] }
        return g
    }

    /// One kernel launch as the scheduler sees it: what it reads and writes.
    public struct Access {
        public var reads: [MemoryPlan.Location]
        public var writes: [MemoryPlan.Location]
        public init(reads: [MemoryPlan.Location], writes: [MemoryPlan.Location]) {
            self.reads = reads; self.writes = writes
        }
    }

    /// For each access in order, whether a barrier must precede it: a read-after-write,
    /// write-after-read or write-after-write overlap with anything since the last barrier.
    public static func barriers(_ accesses: [Access]) -> [Bool] {
        var pendingWrites: [MemoryPlan.Location] = [], pendingReads: [MemoryPlan.Location] = []
        var out: [Bool] = []
        for a in accesses {
            let hazard = a.reads.contains { r in pendingWrites.contains { $0.overlaps(r) } }
                || a.writes.contains { w in pendingWrites.contains { $0.overlaps(w) } || pendingReads.contains { $0.overlaps(w) } }
            if hazard { pendingWrites = []; pendingReads = [] }
            out.append(hazard)
            pendingWrites += a.writes
            pendingReads += a.reads
        }
        return out
    }
}
