import CVulkan

/// Errors of the Vulkan backend. Each says what was needed and what the device offers.
public enum BackendError: Error, CustomStringConvertible {
    case vulkan(String, VkResult)
    case noDevice(String)
    case outOfMemory(String)
    case unsupported(String)
    case run(String)
    case deviceLost(String)

    public var description: String {
        switch self {
        case .vulkan(let what, let r): return "Vulkan: \(what) failed: \(resultName(r))"
        case .noDevice(let m): return "no Vulkan device: \(m)"
        case .outOfMemory(let m): return "out of device memory: \(m)"
        case .unsupported(let m): return "unsupported: \(m)"
        case .run(let m): return m
        case .deviceLost(let m): return "the Vulkan device was lost: \(m)"
        }
    }
}

func resultName(_ r: VkResult) -> String {
    switch r {
    case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY"
    case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY"
    case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED"
    case VK_ERROR_DEVICE_LOST: return "VK_ERROR_DEVICE_LOST"
    case VK_ERROR_LAYER_NOT_PRESENT: return "VK_ERROR_LAYER_NOT_PRESENT"
    case VK_ERROR_EXTENSION_NOT_PRESENT: return "VK_ERROR_EXTENSION_NOT_PRESENT"
    case VK_ERROR_FEATURE_NOT_PRESENT: return "VK_ERROR_FEATURE_NOT_PRESENT"
    case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER (is a Vulkan driver installed? apt-get install mesa-vulkan-drivers)"
    case VK_ERROR_TOO_MANY_OBJECTS: return "VK_ERROR_TOO_MANY_OBJECTS"
    case VK_TIMEOUT: return "VK_TIMEOUT"
    case VK_NOT_READY: return "VK_NOT_READY"
    default: return "VkResult \(r.rawValue)"
    }
}

/// Throws unless `r` is VK_SUCCESS; out-of-memory and device loss get their own cases.
@inline(__always)
func check(_ r: VkResult, _ what: @autoclosure () -> String) throws {
    if r == VK_SUCCESS { return }
    switch r {
    case VK_ERROR_OUT_OF_DEVICE_MEMORY, VK_ERROR_OUT_OF_HOST_MEMORY: throw BackendError.outOfMemory(what())
    case VK_ERROR_DEVICE_LOST: throw BackendError.deviceLost(what())
    default: throw BackendError.vulkan(what(), r)
    }
}

/// Reads a fixed-size C char array (imported as a tuple) as a String.
func cString<T>(_ tuple: T) -> String {
    withUnsafeBytes(of: tuple) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
}

/// Builds the 32-bit version number Vulkan uses (the C macro does not import).
func vkVersion(_ major: UInt32, _ minor: UInt32, _ patch: UInt32 = 0) -> UInt32 {
    (major << 22) | (minor << 12) | patch
}

func versionString(_ v: UInt32) -> String { "\(v >> 22).\((v >> 12) & 0x3FF).\(v & 0xFFF)" }
