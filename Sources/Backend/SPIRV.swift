/// Kernel binaries compiled from `Kernels/*.comp` at build time by the ShaderCompiler
/// plugin; each is a static base64 string, `SPIRV.all` indexes them by name.
public enum SPIRV {}

extension SPIRV {
    /// Whether this build has the matrix-core kernels (matmul_coop.comp compiled by a glslc
    /// that knows GL_KHR_cooperative_matrix; scripts/fetch-glslc-coopmat.sh).
    public static var hasCoopMatKernels: Bool { all.keys.contains { $0.hasPrefix("matmul_coop_") } }
}
