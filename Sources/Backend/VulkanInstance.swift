import CVulkan
import Foundation
import SluiceGraph

/// Messages from the Khronos validation layer, collected so tests can fail on any.
public enum ValidationLog {
    nonisolated(unsafe) private static var messages: [String] = []
    private static let lock = NSLock()

    static func record(_ m: String) { lock.lock(); messages.append(m); lock.unlock() }

    /// Everything reported so far (warnings and errors).
    public static var all: [String] { lock.lock(); defer { lock.unlock() }; return messages }
    public static func clear() { lock.lock(); messages.removeAll(); lock.unlock() }
}

private let validationCallback: PFN_vkDebugUtilsMessengerCallbackEXT = { severity, _, data, _ in
    if let msg = data?.pointee.pMessage { ValidationLog.record(String(cString: msg)) }
    return VkBool32(VK_FALSE)
}

/// The Vulkan instance. With `validation` (or SLUICE_VALIDATION=1 in the environment) the
/// Khronos validation layer is enabled and its warnings and errors go to `ValidationLog`.
public final class VulkanInstance: @unchecked Sendable {
    public let handle: VkInstance
    public let validation: Bool
    private var messenger: VkDebugUtilsMessengerEXT?

    public init(validation: Bool? = nil) throws {
        let wantValidation = validation ?? (environmentValue("SLUICE_VALIDATION") == "1")
        var layers: [String] = []
        var extensions: [String] = []
        if wantValidation {
            guard Self.layerAvailable("VK_LAYER_KHRONOS_validation") else {
                throw BackendError.unsupported("validation was requested but VK_LAYER_KHRONOS_validation is not installed (apt-get install vulkan-validationlayers)")
            }
            layers.append("VK_LAYER_KHRONOS_validation")
            extensions.append("VK_EXT_debug_utils")
        }
        self.validation = wantValidation
        var app = VkApplicationInfo()
        app.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO
        app.apiVersion = vkVersion(1, 2)
        var instance: VkInstance?
        let r: VkResult = "Sluice".withCString { name in
            app.pApplicationName = name
            return withCStrings(layers) { layerPtrs in
                withCStrings(extensions) { extPtrs in
                    withUnsafePointer(to: &app) { appPtr in
                        var info = VkInstanceCreateInfo()
                        info.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO
                        info.pApplicationInfo = appPtr
                        info.enabledLayerCount = UInt32(layers.count)
                        info.ppEnabledLayerNames = layerPtrs
                        info.enabledExtensionCount = UInt32(extensions.count)
                        info.ppEnabledExtensionNames = extPtrs
                        return vkCreateInstance(&info, nil, &instance)
                    }
                }
            }
        }
        try check(r, "vkCreateInstance")
        handle = instance!
        if wantValidation { try installMessenger() }
    }

    deinit {
        if let m = messenger, let f = proc("vkDestroyDebugUtilsMessengerEXT", PFN_vkDestroyDebugUtilsMessengerEXT.self) {
            f(handle, m, nil)
        }
        vkDestroyInstance(handle, nil)
    }

    func proc<F>(_ name: String, _: F.Type) -> F? {
        guard let p = vkGetInstanceProcAddr(handle, name) else { return nil }
        return unsafeBitCast(p, to: F.self)
    }

    private func installMessenger() throws {
        guard let create = proc("vkCreateDebugUtilsMessengerEXT", PFN_vkCreateDebugUtilsMessengerEXT.self) else {
            throw BackendError.unsupported("VK_EXT_debug_utils is missing: cannot collect validation messages")
        }
        var info = VkDebugUtilsMessengerCreateInfoEXT()
        info.sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT
        info.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT.rawValue | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT.rawValue
        info.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT.rawValue | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT.rawValue
            | VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT.rawValue
        info.pfnUserCallback = validationCallback
        var m: VkDebugUtilsMessengerEXT?
        try check(create(handle, &info, nil, &m), "vkCreateDebugUtilsMessengerEXT")
        messenger = m
    }

    static func layerAvailable(_ name: String) -> Bool {
        var count: UInt32 = 0
        vkEnumerateInstanceLayerProperties(&count, nil)
        var props = [VkLayerProperties](repeating: VkLayerProperties(), count: Int(count))
        vkEnumerateInstanceLayerProperties(&count, &props)
        return props.contains { cString($0.layerName) == name }
    }

    /// Every physical device the loader sees.
    public func physicalDevices() throws -> [VkPhysicalDevice] {
        var count: UInt32 = 0
        try check(vkEnumeratePhysicalDevices(handle, &count, nil), "vkEnumeratePhysicalDevices")
        var devs = [VkPhysicalDevice?](repeating: nil, count: Int(count))
        try check(vkEnumeratePhysicalDevices(handle, &count, &devs), "vkEnumeratePhysicalDevices")
        return devs.compactMap { $0 }
    }
}

/// Calls `body` with a C array of C strings that lives for the call.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    let dups = strings.map { strdup($0) }
    defer { dups.forEach { free($0) } }
    let ptrs = dups.map { UnsafePointer($0) }
    return ptrs.withUnsafeBufferPointer { body(strings.isEmpty ? nil : $0.baseAddress) }
}
