#version 450
// variants: KIND=rms,layer W=f32,f16,bf16 RED=shared,subgroup
// Per row over the last dim: rms_norm x / sqrt(mean(x²) + eps) · w, or layer_norm
// (x − mean) / sqrt(var + eps) · w + b. Binding 3 is the bias for layer_norm.
#define WG 64u
layout(local_size_x = 64) in;
#include "common.glsl"
layout(std430, binding = 1) readonly buffer X { float xs[]; };
layout(std430, binding = 2) readonly buffer Wt { uint wdata[]; };
#if defined(KIND_LAYER)
layout(std430, binding = 3) readonly buffer Bt { uint bdata[]; };
layout(std430, binding = 4) writeonly buffer Y { float ys[]; };
#else
layout(std430, binding = 3) writeonly buffer Y { float ys[]; };
#endif
layout(push_constant) uniform PC { uvec2 rows; uint D; float eps; } pc;
#define WBUF wdata
#include "weights.glsl"
#include "reduce.glsl"
#if defined(KIND_LAYER)
float loadB(uint i) {
#if defined(W_F32)
    return uintBitsToFloat(bdata[i]);
#else
    uint h = (bdata[i >> 1] >> ((i & 1u) * 16u)) & 0xFFFFu;
#if defined(W_F16)
    return unpackHalf2x16(h).x;
#else
    return uintBitsToFloat(h << 16);
#endif
#endif
}
#endif

void main() {
    uint rows = affine(pc.rows), D = pc.D, t = gl_LocalInvocationID.x;
    for (uint r = gl_WorkGroupID.x; r < rows; r += gl_NumWorkGroups.x) {
        uint base = r * D;
#if defined(KIND_LAYER)
        float s = 0.0;
        for (uint i = t; i < D; i += WG) s += xs[base + i];
        float mean = wgSum(s) / float(D);
        float v = 0.0;
        for (uint i = t; i < D; i += WG) { float e = xs[base + i] - mean; v += e * e; }
        float inv = inversesqrt(wgSum(v) / float(D) + pc.eps);
        for (uint i = t; i < D; i += WG) ys[base + i] = (xs[base + i] - mean) * inv * loadW(i) + loadB(i);
#else
        float s = 0.0;
        for (uint i = t; i < D; i += WG) { float e = xs[base + i]; s += e * e; }
        float inv = inversesqrt(wgSum(s) / float(D) + pc.eps);
        for (uint i = t; i < D; i += WG) ys[base + i] = xs[base + i] * inv * loadW(i);
#endif
    }
}
