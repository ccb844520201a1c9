import SluiceGraph

/// GGML tensor type ids as stored in GGUF tensor infos, and their mapping to `DType`.
public enum GGMLType {
    /// The ids this reader accepts, with the `DType` each becomes.
    public static let supported: [UInt32: DType] = [
        0: .f32, 1: .f16, 2: .q4_0, 3: .q4_1, 6: .q5_0, 7: .q5_1, 8: .q8_0, 12: .q4_k, 14: .q6_k, 30: .bf16,
    ]

    /// `DType` for a GGML type id, or nil when unsupported.
    public static func dtype(forID id: UInt32) -> DType? { supported[id] }

    /// GGML type id for a `DType` (nil for types GGUF cannot hold here, like i32).
    public static func id(for dtype: DType) -> UInt32? {
        supported.first(where: { $0.value == dtype })?.key
    }

    /// ggml's name for a type id ("Q5_K" for 13), or "unknown" for an id ggml never used.
    public static func name(forID id: UInt32) -> String {
        let names: [String] = [
            "F32", "F16", "Q4_0", "Q4_1", "Q4_2 (removed)", "Q4_3 (removed)", "Q5_0", "Q5_1",
            "Q8_0", "Q8_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS",
            "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S", "IQ2_S", "IQ4_XS", "I8", "I16", "I32", "I64",
            "F64", "IQ1_M", "BF16", "Q4_0_4_4 (removed)", "Q4_0_4_8 (removed)",
            "Q4_0_8_8 (removed)", "TQ1_0", "TQ2_0", "IQ4_NL_4_4 (removed)",
            "IQ4_NL_4_8 (removed)", "IQ4_NL_8_8 (removed)", "MXFP4",
        ]
        return id < names.count ? names[Int(id)] : "unknown"
    }

    /// Names of the supported types, for error messages.
    static var supportedNames: String {
        supported.keys.sorted().map { "\(name(forID: $0))=\($0)" }.joined(separator: ", ")
    }
}
