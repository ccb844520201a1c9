import SluiceGraph

/// Weights whose layout on the GPU differs from the file's. GGUF's q8_0 block is 34 bytes (a
/// float16 scale, then 32 signed bytes), so its quants sit at every even byte offset and a
/// kernel reads them a 4-byte word at a time, with shifts to put the halves together. On the
/// GPU, q8_0 lies in groups of eight blocks: the eight scales (16 bytes), then the eight
/// blocks' quants (256 bytes), so every block's quants start on a 16-byte boundary
/// (Kernels/weights.glsl, W_Q8_0, reads this layout). A last partial group is padded with
/// zero blocks. The CPU reference interpreter and the files keep GGUF's layout.
enum GPUWeightLayout {
    static let q8Block = 34, q8Group = 8, q8GroupBytes = 8 * 34

    /// Bytes of a weight of `dtype` that is `fileBytes` long in the file's layout.
    static func byteCount(_ dtype: DType, fileBytes: Int) -> Int {
        guard dtype == .q8_0 else { return fileBytes }
        let blocks = fileBytes / q8Block
        return (blocks + q8Group - 1) / q8Group * q8GroupBytes
    }

    /// Row windows of a weight (`rowBytes` a row in the file's layout) start at multiples of
    /// this many rows: for q8_0 at a group boundary, where the GPU layout's offset equals the
    /// file's.
    static func rowMultiple(_ dtype: DType, k: Int) -> Int {
        guard dtype == .q8_0 else { return 1 }
        let blocks = k / 32
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
        return q8Group / gcd(blocks, q8Group)
    }

    /// The byte window of rows `rows` (starting at a multiple of rowMultiple): the last one of
    /// a q8_0 weight takes in its padded group.
    static func window(_ dtype: DType, rows: Range<Int>, rowBytes: Int) -> (Int, Int) {
        (rows.lowerBound * rowBytes, byteCount(dtype, fileBytes: rows.count * rowBytes))
    }

    /// Calls `body` with the weight's bytes in its GPU layout.
    static func withGPUBytes<R>(_ t: HostTensor, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard t.dtype == .q8_0 else { return try withBytes(t, body) }
        return try withBytes(t) { src in
            let blocks = src.count / q8Block
            var out = [UInt8](repeating: 0, count: byteCount(.q8_0, fileBytes: src.count))
            out.withUnsafeMutableBytes { dst in
                guard let s = src.baseAddress, let d = dst.baseAddress else { return }
                for b in 0..<blocks {
                    let from = s + b * q8Block, group = d + (b / q8Group) * q8GroupBytes, j = b % q8Group
                    (group + 2 * j).copyMemory(from: from, byteCount: 2)
                    (group + 16 + 32 * j).copyMemory(from: from + 2, byteCount: 32)
                }
            }
            return try out.withUnsafeBytes(body)
        }
    }
}
