/// One dimension of a shape: a number, or a symbol bound at run time (`T`, `P`, `C`, …).
public enum Dim: Hashable, Sendable, CustomStringConvertible {
    case fixed(Int)
    case symbol(String)

    public var description: String {
        switch self {
        case .fixed(let n): return String(n)
        case .symbol(let s): return s
        }
    }

    public var fixedValue: Int? {
        if case .fixed(let n) = self { return n }
        return nil
    }

    /// The concrete size under `bindings`, or nil when a symbol is unbound.
    public func resolve(_ bindings: Bindings) -> Int? {
        switch self {
        case .fixed(let n): return n
        case .symbol(let s): return bindings[s]
        }
    }
}

/// Values of the shape symbols for one run: `T` rows this step, `P` rows already cached, `C` capacity.
public typealias Bindings = [String: Int]

/// A value's type: element type and (possibly symbolic) shape. The last dimension is contiguous.
public struct TensorType: Hashable, Sendable, CustomStringConvertible {
    public var dtype: DType
    public var shape: [Dim]

    public init(_ dtype: DType, _ shape: [Dim]) {
        self.dtype = dtype
        self.shape = shape
    }

    public var rank: Int { shape.count }
    public var lastDim: Dim? { shape.last }
    public var description: String { "\(dtype.rawValue)[\(shape.map(\.description).joined(separator: ","))]" }

    /// Concrete dimensions under `bindings`, or nil when a symbol is unbound.
    public func resolve(_ bindings: Bindings) -> [Int]? {
        var out: [Int] = []
        for d in shape {
            guard let n = d.resolve(bindings) else { return nil }
            out.append(n)
        }
        return out
    }

    /// Element count for concrete dims, nil on overflow or unbound symbols.
    public func elementCount(_ bindings: Bindings) -> Int? {
        guard let dims = resolve(bindings) else { return nil }
        return Shape.product(dims)
    }

    /// Storage bytes for concrete dims, nil on overflow, unbound symbols or partial blocks.
    public func byteCount(_ bindings: Bindings) -> Int? {
        guard let n = elementCount(bindings) else { return nil }
        return dtype.byteCount(forElements: n)
    }
}

public enum Shape {
    /// Product of dims, nil on overflow or a negative dim.
    public static func product(_ dims: [Int]) -> Int? {
        var p = 1
        for d in dims {
            guard d >= 0 else { return nil }
            let (r, o) = p.multipliedReportingOverflow(by: d)
            if o { return nil }
            p = r
        }
        return p
    }

    /// Shorthand for building shapes in code: `Shape.of("T", 576)`.
    public static func of(_ dims: DimConvertible...) -> [Dim] { dims.map(\.dim) }
}

public protocol DimConvertible { var dim: Dim { get } }
extension Int: DimConvertible { public var dim: Dim { .fixed(self) } }
extension String: DimConvertible { public var dim: Dim { .symbol(self) } }
extension Dim: DimConvertible { public var dim: Dim { self } }
