import Foundation

/// The catalogue of operators by name. `OpRegistry.shared` holds the standard ops; a new
/// (fused) op is one `register` call.
public final class OpRegistry: @unchecked Sendable {
    private var definitions: [String: OpDefinition]
    private let lock = NSLock()

    public init(_ defs: [OpDefinition]) {
        definitions = Dictionary(defs.map { ($0.name, $0) }, uniquingKeysWith: { _, b in b })
    }

    /// The standard operators plus anything registered since.
    public static let shared = OpRegistry(StandardOps.all)

    /// Adds or replaces an operator.
    public func register(_ def: OpDefinition) {
        lock.lock(); defer { lock.unlock() }
        definitions[def.name] = def
    }

    public subscript(name: String) -> OpDefinition? {
        lock.lock(); defer { lock.unlock() }
        return definitions[name]
    }

    /// Throws `unknownOp` naming the op and listing what is known.
    public func definition(_ name: String) throws -> OpDefinition {
        guard let d = self[name] else { throw GraphError.unknownOp(name) }
        return d
    }

    public var names: [String] {
        lock.lock(); defer { lock.unlock() }
        return definitions.keys.sorted()
    }
}

/// The operators every frontend may emit.
public enum StandardOps {
    public static var all: [OpDefinition] {
        ElementwiseOps.all + NormOps.all + LinearOps.all + AttentionOps.all + ShapeOps.all + ReductionOps.all
    }
}
