// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Sluice",
    products: [
        .library(name: "Sluice", targets: ["Sluice"]),
        .executable(name: "sluice", targets: ["SluiceCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // The IR, text format, verifier, exporters and the CPU reference interpreter.
        .target(name: "SluiceGraph", path: "Sources/Graph"),
        // Pass manager, rewrites, fusions, memory planner, dispatch scheduler.
        .target(name: "SluicePasses", dependencies: ["SluiceGraph"], path: "Sources/Passes"),
        // Model files (GGUF, safetensors, ONNX), tokenizers, architecture builders.
        .target(name: "SluiceFrontends", dependencies: ["SluiceGraph"], path: "Sources/Frontends"),
        // Vulkan device, kernels, executor.
        .target(name: "SluiceBackend", dependencies: ["SluiceGraph", "SluicePasses", "CVulkan"], path: "Sources/Backend",
                exclude: ["Kernels"], plugins: ["ShaderCompiler"]),
        // The system Vulkan loader and headers (apt: libvulkan-dev).
        .systemLibrary(name: "CVulkan", path: "Sources/CVulkan", pkgConfig: "vulkan", providers: [.apt(["libvulkan-dev"])]),
        // GLSL compute kernels → SPIR-V at build time, embedded in the binary (apt: glslc).
        .plugin(name: "ShaderCompiler", capability: .buildTool(), path: "Sources/ShaderCompiler", exclude: ["compile-kernel.sh"]),
        // One import for embedders.
        .target(name: "Sluice",
                dependencies: ["SluiceGraph", "SluicePasses", "SluiceFrontends", "SluiceBackend"],
                path: "Sources/Sluice"),
        .executableTarget(
            name: "SluiceCLI",
            dependencies: [
                "Sluice",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/sluice"),
        .testTarget(name: "GraphTests", dependencies: ["SluiceGraph"], path: "Tests/GraphTests", exclude: ["Fixtures"]),
        .testTarget(name: "PassesTests", dependencies: ["SluicePasses"], path: "Tests/PassesTests"),
        .testTarget(name: "FrontendsTests", dependencies: ["SluiceFrontends"], path: "Tests/FrontendsTests", exclude: ["Fixtures"]),
        .testTarget(name: "EndToEndTests", dependencies: ["Sluice"], path: "Tests/EndToEndTests", exclude: ["Fixtures"]),
        .testTarget(name: "BackendTests", dependencies: ["SluiceBackend", "CVulkan"], path: "Tests/BackendTests"),
    ]
)
