/// How an operator's first output relates to its inputs' storage. The planner and the
/// executor read this; nothing else about an op is special-cased by name.
public enum OutputStorage: Hashable, Sendable {
    /// A new buffer.
    case fresh
    /// May reuse input `i`'s buffer when that input dies at this node (elementwise ops).
    case inPlace(Int)
    /// The same storage as input `i`, seen with another shape (reshape).
    case view(Int)
    /// Writes into input `i`'s storage and returns it (KV-cache writes).
    case update(Int)
}

/// An attribute an operator accepts, with its kind, default and allowed range.
public struct AttrSpec: Sendable {
    public var name: String
    public var kind: AttributeKind
    public var defaultValue: Attribute?
    public var allowed: [String]?
    public var minimum: Double?

    public init(_ name: String, _ kind: AttributeKind, default defaultValue: Attribute? = nil,
                oneOf allowed: [String]? = nil, minimum: Double? = nil) {
        self.name = name; self.kind = kind; self.defaultValue = defaultValue
        self.allowed = allowed; self.minimum = minimum
    }

    public var isRequired: Bool { defaultValue == nil }
}

/// What a shape rule sees: the node, its input types and its attributes (defaults filled in).
public struct ShapeContext {
    public let node: Node
    public let inputs: [TensorType]
    public let attributes: Attributes

    public init(node: Node, inputs: [TensorType], attributes: Attributes) {
        self.node = node; self.inputs = inputs; self.attributes = attributes
    }

    public func fail(_ message: String) -> GraphError {
        .verification("node \(node.label): \(message)")
    }
    public func int(_ name: String) -> Int { attributes[name]?.intValue ?? 0 }
    public func double(_ name: String) -> Double { attributes[name]?.doubleValue ?? 0 }
    public func string(_ name: String) -> String { attributes[name]?.stringValue ?? "" }
    public func ints(_ name: String) -> [Int] { attributes[name]?.intsValue ?? [] }

    /// Throws unless input `i` has one of `dtypes`.
    public func require(_ i: Int, _ dtypes: Set<DType>, _ role: String) throws {
        guard dtypes.contains(inputs[i].dtype) else {
            let names = dtypes.map(\.rawValue).sorted().joined(separator: ", ")
            throw fail("\(role) (input \(i)) has dtype \(inputs[i].dtype.rawValue), expected one of \(names)")
        }
    }

    /// Throws unless input `i` has rank in `ranks`.
    public func requireRank(_ i: Int, _ ranks: ClosedRange<Int>, _ role: String) throws {
        guard ranks.contains(inputs[i].rank) else {
            throw fail("\(role) (input \(i)) has rank \(inputs[i].rank), expected \(ranks.lowerBound)...\(ranks.upperBound)")
        }
    }

    /// Throws unless two dims are provably equal (same number or same symbol).
    public func requireEqual(_ a: Dim, _ b: Dim, _ what: String) throws {
        guard a == b else { throw fail("\(what): \(a) vs \(b)") }
    }
}

/// What a reference implementation sees at run time.
public struct ReferenceContext {
    public let node: Node
    public let inputs: [HostTensor]
    public let attributes: Attributes
    public let bindings: Bindings

    public init(node: Node, inputs: [HostTensor], attributes: Attributes, bindings: Bindings) {
        self.node = node; self.inputs = inputs; self.attributes = attributes; self.bindings = bindings
    }

    public func fail(_ message: String) -> GraphError { .run("node \(node.label): \(message)") }
    public func int(_ name: String) -> Int { attributes[name]?.intValue ?? 0 }
    public func double(_ name: String) -> Double { attributes[name]?.doubleValue ?? 0 }
    public func float(_ name: String) -> Float { Float(double(name)) }
    public func string(_ name: String) -> String { attributes[name]?.stringValue ?? "" }
    public func ints(_ name: String) -> [Int] { attributes[name]?.intsValue ?? [] }
    /// Rows already in the cache (`P`, 0 when unbound).
    public var past: Int { bindings["P"] ?? 0 }
}

/// One operator: everything the IR, the verifier and the reference interpreter need to
/// know about it. A fused op defined outside this module is registered the same way.
public struct OpDefinition: Sendable {
    public var name: String
    /// Input roles, for documentation and arity checks.
    public var inputs: [String]
    /// Trailing inputs that may be left out.
    public var optionalInputs: Int
    public var attributes: [AttrSpec]
    /// How each output relates to the inputs' storage (outputs beyond the list are fresh).
    public var outputStorage: [OutputStorage]
    /// Largest acceptable error of a kernel against the reference, relative to the largest
    /// magnitude in the reference output (float32 accumulation in another order).
    public var tolerance: Float
    public var summary: String
    public var inferTypes: @Sendable (ShapeContext) throws -> [TensorType]
    public var reference: @Sendable (ReferenceContext) throws -> [HostTensor]

    public init(name: String, inputs: [String], optionalInputs: Int = 0, attributes: [AttrSpec] = [],
                storage: OutputStorage = .fresh, outputStorage: [OutputStorage]? = nil, tolerance: Float = 1e-5, summary: String,
                inferTypes: @escaping @Sendable (ShapeContext) throws -> [TensorType],
                reference: @escaping @Sendable (ReferenceContext) throws -> [HostTensor]) {
        self.name = name; self.inputs = inputs; self.optionalInputs = optionalInputs
        self.attributes = attributes; self.outputStorage = outputStorage ?? [storage]; self.tolerance = tolerance
        self.summary = summary; self.inferTypes = inferTypes; self.reference = reference
    }

    /// Storage of output `i`.
    public func storage(ofOutput i: Int) -> OutputStorage { i < outputStorage.count ? outputStorage[i] : .fresh }

    /// `attrs` with defaults filled in, after checking names, kinds, ranges and choices.
    public func resolveAttributes(_ attrs: Attributes, node: Node) throws -> Attributes {
        var out = attrs
        let known = Set(attributes.map(\.name))
        for key in attrs.keys.sorted() where !known.contains(key) {
            throw GraphError.verification("node \(node.label): unknown attribute '\(key)' (\(name) takes: \(attributes.map(\.name).joined(separator: ", ")))")
        }
        for spec in attributes {
            guard var v = attrs[spec.name] else {
                if let d = spec.defaultValue { out[spec.name] = d; continue }
                throw GraphError.verification("node \(node.label): missing attribute '\(spec.name)'")
            }
            if spec.kind == .float, case .int(let i) = v { v = .float(Double(i)); out[spec.name] = v }
            guard v.kind == spec.kind else {
                throw GraphError.verification("node \(node.label): attribute '\(spec.name)' must be \(spec.kind.rawValue), got \(v)")
            }
            if let allowed = spec.allowed, let s = v.stringValue, !allowed.contains(s) {
                throw GraphError.verification("node \(node.label): attribute '\(spec.name)' = \(v) must be one of \(allowed.joined(separator: ", "))")
            }
            if let m = spec.minimum, let d = v.doubleValue, !(d >= m) {
                throw GraphError.verification("node \(node.label): attribute '\(spec.name)' = \(v) must be at least \(Attribute.format(m))")
            }
        }
        return out
    }
}
