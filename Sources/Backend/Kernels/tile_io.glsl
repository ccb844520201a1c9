// Bindings and push constants of the many-row matrix kernels (matmul_tiled.comp,
// matmul_coop.comp), with the weight access, activations and epilogue they share.
// EPI_QKVH: the QKV epilogue into float16 caches.
#if defined(EPI_QKVH)
#define EPI_QKV 1
#define KV_F16 1
#endif
#include "kvcache.glsl"
layout(std430, binding = 1) readonly buffer X { float xs[]; };
layout(std430, binding = 1) readonly buffer X4 { vec4 xs4[]; };
layout(std430, binding = 2) readonly buffer Wt { uint wdata[]; };
#if defined(EPI_QKV)
layout(std430, binding = 3) writeonly buffer Q { float qs[]; };
layout(std430, binding = 4) buffer KC { KVT kc[]; };
layout(std430, binding = 5) buffer VC { KVT vc[]; };
layout(push_constant) uniform PC {
    uvec2 rows; uint K; uint heads; uint kvHeads; uint headDim; uint dims; uint mode; float base; uint capacity; float eps;
} pc;
#else
layout(std430, binding = 3) writeonly buffer Y { float ys[]; };
// N: output columns of this dispatch (F for the gated kernels); outputs go to column
// nOff + n of rows Nstride wide (a weight bound in row windows is one dispatch per window).
layout(push_constant) uniform PC { uvec2 rows; uint K; uint N; float eps; uint Nstride; uint nOff; uint erf; } pc;
#endif
#define WBUF wdata
#include "weights.glsl"
#include "gelu.glsl"
#include "qkvpairs.glsl"
#include "tile_store.glsl"
