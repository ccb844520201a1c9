import CVulkan

/// How a kernel's binding is bound: a storage buffer, or a uniform texel buffer (a typed
/// view of a buffer range). Texel bindings get their view format from the sampled type the
/// kernel declares: `samplerBuffer` reads R32G32B32A32_SFLOAT texels (four floats each),
/// `usamplerBuffer` R32_UINT (one word each) — the convention of the matrix kernels'
/// RED_TEXEL variant (prologue.glsl, matrix_weights.glsl).
enum BindingKind: Equatable {
    case storage
    case texel(VkFormat)

    var descriptorType: VkDescriptorType {
        switch self {
        case .storage: return VK_DESCRIPTOR_TYPE_STORAGE_BUFFER
        case .texel: return VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER
        }
    }

    /// Bytes per texel of a texel binding (1 for storage buffers).
    var texelBytes: Int {
        switch self {
        case .storage: return 1
        case .texel(let f): return f == VK_FORMAT_R32G32B32A32_SFLOAT ? 16 : 4
        }
    }

    /// The kind of every binding of descriptor set 0 that a SPIR-V module declares, by
    /// binding number, read from its decorations and types. Bindings it does not declare
    /// are absent (the caller binds them as storage buffers).
    static func read(spirv words: [UInt32], kernel: String) throws -> [Int: BindingKind] {
        guard words.count > 5, words[0] == 0x0723_0203 else {
            throw BackendError.unsupported("kernel \(kernel): not a SPIR-V module")
        }
        var binding: [UInt32: UInt32] = [:]          // variable id → binding
        var pointee: [UInt32: UInt32] = [:]          // pointer type id → pointee type id
        var sampledImage: [UInt32: UInt32] = [:]     // sampled image type → image type
        var image: [UInt32: (sampled: UInt32, dim: UInt32)] = [:]
        var floatTypes: Set<UInt32> = []
        var variables: [(id: UInt32, type: UInt32)] = []
        var i = 5
        while i < words.count {
            let count = Int(words[i] >> 16), op = words[i] & 0xFFFF
            guard count > 0, i + count <= words.count else {
                throw BackendError.unsupported("kernel \(kernel): malformed SPIR-V instruction at word \(i)")
            }
            let w = Array(words[i ..< i + count])
            switch op {
            case 71 where count >= 4 && w[2] == 33: binding[w[1]] = w[3]          // OpDecorate … Binding
            case 32 where count >= 4: pointee[w[1]] = w[3]                         // OpTypePointer
            case 27 where count >= 3: sampledImage[w[1]] = w[2]                    // OpTypeSampledImage
            case 25 where count >= 9: image[w[1]] = (w[2], w[3])                   // OpTypeImage
            case 22 where count >= 3: floatTypes.insert(w[1])                      // OpTypeFloat
            case 59 where count >= 4: variables.append((w[2], w[1]))               // OpVariable
            default: break
            }
            i += count
        }
        var kinds: [Int: BindingKind] = [:]
        for v in variables {
            guard let b = binding[v.id], let t = pointee[v.type] else { continue }
            if let img = sampledImage[t].flatMap({ image[$0] }) {
                guard img.dim == 5 else {   // Dim Buffer
                    throw BackendError.unsupported("kernel \(kernel): binding \(b) is an image other than a texel buffer")
                }
                kinds[Int(b)] = .texel(floatTypes.contains(img.sampled) ? VK_FORMAT_R32G32B32A32_SFLOAT : VK_FORMAT_R32_UINT)
            } else {
                kinds[Int(b)] = .storage
            }
        }
        return kinds
    }
}
