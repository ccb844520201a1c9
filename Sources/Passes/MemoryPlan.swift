import SluiceGraph

/// Where every value of a scheduled graph lives: in one shared arena at an offset, or in
/// the buffer of a parameter (input, weight, state), possibly at an offset inside it.
public struct MemoryPlan: Sendable {
    public enum Root: Hashable, Sendable, CustomStringConvertible {
        case arena
        case param(String)
        public var description: String {
            switch self {
            case .arena: return "arena"
            case .param(let p): return "%" + p
            }
        }
    }

    public struct Location: Hashable, Sendable {
        public var root: Root
        public var offset: Int
        public var size: Int
        public init(root: Root, offset: Int, size: Int) { self.root = root; self.offset = offset; self.size = size }
        public func overlaps(_ o: Location) -> Bool {
            root == o.root && offset < o.offset + o.size && o.offset < offset + size
        }
    }

    /// Value name → location (every value of the graph).
    public var locations: [String: Location]
    /// Value name → [first, last] position in the schedule during which it must stay intact.
    public var lifetimes: [String: ClosedRange<Int>]
    public var arenaBytes: Int
    /// What the intermediates would need without reuse.
    public var naiveBytes: Int
    /// Intermediates that reuse an input's storage in place.
    public var inPlace: [String: String]
    public var alignment: Int
    /// Bindings the sizes were computed for (the largest of each symbol).
    public var bindings: Bindings
}

public enum PlanError: Error, CustomStringConvertible {
    case unsized(String)
    public var description: String {
        switch self { case .unsized(let m): return "memory plan: \(m)" }
    }
}
