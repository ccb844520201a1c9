import Foundation
import PackagePlugin

/// Compiles every `Kernels/*.comp` of the target to SPIR-V with the system `glslc` and
/// embeds the result as base64 string literals in generated Swift (`SPIRV.<name>`).
///
/// A kernel declares variants on a line `// variants: W=f32,f16 RED=shared,subgroup`: one
/// binary per combination, named `<file>_<f32>_<shared>`, compiled with `-DW_F32 -DRED_SHARED`.
@main
struct ShaderCompiler: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let dir = target.directoryURL.appending(path: "Kernels")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        let glslc = try findGlslc()
        let includes = files.filter { $0.hasSuffix(".glsl") }.map { dir.appending(path: $0) }
        let out = context.pluginWorkDirectoryURL
        var commands: [Command] = []
        var names: [String] = []
        for file in files where file.hasSuffix(".comp") {
            let src = dir.appending(path: file)
            let base = String(file.dropLast(5))
            let text = try String(contentsOf: src, encoding: .utf8)
            for (suffix, defines) in variants(text) {
                let name = base + suffix
                names.append(name)
                let spv = out.appending(path: name + ".spv").path
                let swift = out.appending(path: "SPIRV_" + name + ".swift")
                let defs = defines.map { "-D\($0)=1" }.joined(separator: " ")
                let script = """
                set -e
                '\(glslc)' --target-env=vulkan1.1 -O -fshader-stage=compute -I '\(dir.path)' \(defs) '\(src.path)' -o '\(spv)'
                { printf 'extension SPIRV {\\n    static let \(name) = "'; base64 -w0 '\(spv)'; printf '"\\n}\\n'; } > '\(swift.path)'
                """
                commands.append(.buildCommand(
                    displayName: "Compiling kernel \(name)",
                    executable: URL(fileURLWithPath: "/bin/sh"), arguments: ["-c", script],
                    inputFiles: [src] + includes, outputFiles: [swift]))
            }
        }
        let index = out.appending(path: "SPIRV_index.swift")
        let entries = names.map { "        \"\($0)\": SPIRV.\($0)," }.joined(separator: "\n")
        let indexText = "extension SPIRV {\n    /// Every embedded kernel binary by name, base64.\n    static let all: [String: String] = [\n\(entries)\n    ]\n}\n"
        commands.append(.buildCommand(
            displayName: "Indexing kernels",
            executable: URL(fileURLWithPath: "/bin/sh"),
            arguments: ["-c", "cat > '\(index.path)' <<'SLUICE_EOF'\n\(indexText)SLUICE_EOF\n"],
            inputFiles: files.filter { $0.hasSuffix(".comp") }.map { dir.appending(path: $0) },
            outputFiles: [index]))
        return commands
    }

    /// (name suffix, defines) for each combination on the `// variants:` line.
    func variants(_ text: String) -> [(String, [String])] {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("// variants:") }) else { return [("", [])] }
        var combos: [(String, [String])] = [("", [])]
        for group in line.dropFirst("// variants:".count).split(separator: " ") {
            let kv = group.split(separator: "=")
            guard kv.count == 2 else { continue }
            let key = kv[0].uppercased()
            var next: [(String, [String])] = []
            for (s, d) in combos {
                for v in kv[1].split(separator: ",") { next.append((s + "_" + v, d + ["\(key)_\(v.uppercased())"])) }
            }
            combos = next
        }
        return combos
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
