// Shared by the matrix-core kernels (matmul_coop*.comp, attention_coop*.comp): the
// extensions, 16×16×16 float16 fragments with float32 accumulators, and float16 packing.
#extension GL_KHR_cooperative_matrix : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#extension GL_KHR_shader_subgroup_basic : require

#define FRAG_A coopmat<float16_t, gl_ScopeSubgroup, 16u, 16u, gl_MatrixUseA>
#define FRAG_B coopmat<float16_t, gl_ScopeSubgroup, 16u, 16u, gl_MatrixUseB>
#define FRAG_C coopmat<float, gl_ScopeSubgroup, 16u, 16u, gl_MatrixUseAccumulator>

// Eight values as float16 pairs (one 16-byte shared-memory word).
uvec4 packHalves(vec4 a, vec4 b) {
    return uvec4(packHalf2x16(a.xy), packHalf2x16(a.zw), packHalf2x16(b.xy), packHalf2x16(b.zw));
}
