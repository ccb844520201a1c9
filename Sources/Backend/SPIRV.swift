/// Kernel binaries compiled from `Kernels/*.comp` at build time by the ShaderCompiler
/// plugin; each is a static base64 string, `SPIRV.all` indexes them by name.
enum SPIRV {}
