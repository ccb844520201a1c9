// The weight binding (B0) of the matrix kernels. RED_TEXEL (the CPU-driver variant) reads it
// through a uniform texel buffer (an R32_UINT view): lavapipe fetches texels with plain
// vector gathers, where a storage-buffer load of a per-invocation address becomes a loop
// over the lanes with a bounds-check branch for each.
#if defined(RED_TEXEL)
layout(binding = B0) uniform usamplerBuffer wtex;
#define WLOAD(i) texelFetch(wtex, int(i)).x
#else
layout(std430, binding = B0) readonly buffer Wt { uint wdata[]; };
#define WBUF wdata
#if defined(W_Q4_K)
// The same binding as 16-byte words (q4_k blocks are 144 bytes: every header and every 16
// bytes of nibbles is one aligned load; matvec.glsl's kqLoad).
layout(std430, binding = B0) readonly buffer Wt4 { uvec4 wdata4[]; };
#endif
#endif
