import Foundation
import PackagePlugin

/// Compiles every `Kernels/*.comp` of the target to SPIR-V with the system `glslc` and
/// embeds the result as base64 string literals in generated Swift (`SPIRV.<name>`).
///
/// A kernel declares variants on a line `// variants: W=f32,f16 RED=shared,subgroup`: one
/// binary per combination, named `<file>_f32_shared`, compiled with `-DW_F32=1 -DRED_SHARED=1`
/// (compile-kernel.sh does this at build time, so edits to that line take effect).
@main
struct ShaderCompiler: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let dir = target.directoryURL.appending(path: "Kernels")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        let glslc = try findGlslc()
        let coopmat = findCoopmatGlslc(package: context.package.directoryURL)
        let script = context.package.directoryURL.appending(path: "Sources/ShaderCompiler/compile-kernel.sh")
        let includes = files.filter { $0.hasSuffix(".glsl") }.map { dir.appending(path: $0) }
        let out = context.pluginWorkDirectoryURL
        var commands: [Command] = []
        var symbols: [String] = []
        for file in files where file.hasSuffix(".comp") {
            let src = dir.appending(path: file)
            let symbol = "kernels_" + String(file.dropLast(5))
            symbols.append(symbol)
            let swift = out.appending(path: "SPIRV_\(symbol).swift")
            commands.append(.buildCommand(
                displayName: "Compiling kernel \(file)",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: [script.path, glslc, dir.path, src.path, swift.path, out.appending(path: "spv").path, symbol,
                            coopmat, "vulkan1.2"],
                inputFiles: [src, script] + includes, outputFiles: [swift]))
        }
        // The index depends only on the file names, which are known here.
        let index = out.appending(path: "SPIRV_index.swift")
        let merged = symbols.map { "SPIRV.\($0)" }.joined(separator: ",\n        ")
        let indexText = "extension SPIRV {\n    /// Every embedded kernel binary by name, base64.\n    static let all: [String: String] = [\n        \(merged)\n    ].reduce(into: [:]) { $0.merge($1) { a, _ in a } }\n}\n"
        commands.append(.buildCommand(
            displayName: "Indexing kernels",
            executable: URL(fileURLWithPath: "/bin/sh"),
            arguments: ["-c", "printf '%s' \"$1\" > \"$2\"", "sh", indexText, index.path],
            inputFiles: [], outputFiles: [index]))
        return commands
    }

    /// A glslc that compiles GL_KHR_cooperative_matrix, for the kernels marked
    /// `// requires: coopmat`: SLUICE_GLSLC_COOPMAT, else the one scripts/setup.sh unpacks
    /// into .tools/ (scripts/fetch-glslc-coopmat.sh), else "" (those kernels are left out
    /// and the runtime uses the portable ones). An empty argument when absent, so that
    /// installing it later changes the command and recompiles them.
    func findCoopmatGlslc(package: URL) -> String {
        let env = ProcessInfo.processInfo.environment
        if let p = env["SLUICE_GLSLC_COOPMAT"], FileManager.default.isExecutableFile(atPath: p) { return p }
        let local = package.appending(path: ".tools/glslc-coopmat/glslc").path
        return FileManager.default.isExecutableFile(atPath: local) ? local : ""
    }

    func findGlslc() throws -> String {
        let env = ProcessInfo.processInfo.environment
        if let p = env["SLUICE_GLSLC"], FileManager.default.isExecutableFile(atPath: p) { return p }
        for dir in (env["PATH"] ?? "/usr/bin:/usr/local/bin").split(separator: ":") + ["/usr/bin", "/usr/local/bin"] {
            let p = "\(dir)/glslc"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        throw PluginError("glslc not found on PATH: install it (apt-get install glslc) or set SLUICE_GLSLC")
    }
}

struct PluginError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
