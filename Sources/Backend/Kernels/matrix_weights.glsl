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
#endif
