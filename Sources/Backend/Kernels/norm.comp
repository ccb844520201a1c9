#version 450
// variants: KIND=rms,layer ADD=no,yes W=f32,f16,bf16 RED=shared,subgroup
// Per row over the last dim: rms_norm x / sqrt(mean(x²) + eps) · w, or layer_norm
// (x − mean) / sqrt(var + eps) · w + b. With ADD_YES the row is x = a + b (a residual
// add), which is also written out.
// Bindings in order: x (or a, b), w, [bias], [sum], y.
// The workgroup size, specialization constant 0: 256 on GPUs, 64 on CPU drivers (where a
// workgroup is one thread's loop).
layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64u;
#include "common.glsl"
layout(std430, binding = 1) readonly buffer X { float xs[]; };
#if defined(ADD_YES)
layout(std430, binding = 2) readonly buffer X2 { float x2s[]; };
#define NEXT 3
#else
#define NEXT 2
#endif
layout(std430, binding = NEXT) readonly buffer Wt { uint wdata[]; };
#if defined(KIND_LAYER)
layout(std430, binding = NEXT + 1) readonly buffer Bt { uint bdata[]; };
#define OUT NEXT + 2
#else
#define OUT NEXT + 1
#endif
#if defined(ADD_YES)
layout(std430, binding = OUT) writeonly buffer S { float sums[]; };
layout(std430, binding = OUT + 1) writeonly buffer Y { float ys[]; };
#else
layout(std430, binding = OUT) writeonly buffer Y { float ys[]; };
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

// Values per invocation the one-read path keeps (rows up to 2,048 values on GPUs).
const uint RV = 8u;

float xv(uint i) {
#if defined(ADD_YES)
    return xs[i] + x2s[i];
#else
    return xs[i];
#endif
}

void main() {
    uint rows = affine(pc.rows), D = pc.D, t = gl_LocalInvocationID.x;
    for (uint r = gl_WorkGroupID.x; r < rows; r += gl_NumWorkGroups.x) {
        uint base = r * D;
#if defined(KIND_LAYER)
        float s = 0.0;
        for (uint i = t; i < D; i += WG) s += xv(base + i);
        float mean = wgSum(s) / float(D);
        float v = 0.0;
        for (uint i = t; i < D; i += WG) { float e = xv(base + i) - mean; v += e * e; }
        float inv = inversesqrt(wgSum(v) / float(D) + pc.eps);
        for (uint i = t; i < D; i += WG) {
            float x = xv(base + i);
            ys[base + i] = (x - mean) * inv * loadW(i) + loadB(i);
#if defined(ADD_YES)
            sums[base + i] = x;
#endif
        }
#else
        float s = 0.0;
        if (D <= RV * WG) {
            // A row of at most RV·WG values: each invocation's loads issued together and its
            // values kept, so the row is read once (a decode step's norms are one row each,
            // and their latency is all the dispatch costs).
            float v[RV];
            [[unroll]] for (uint k = 0u; k < RV; k++) { uint i = t + k * WG; v[k] = i < D ? xv(base + i) : 0.0; }
            [[unroll]] for (uint k = 0u; k < RV; k++) s += v[k] * v[k];
            float inv = inversesqrt(wgSum(s) / float(D) + pc.eps);
            [[unroll]] for (uint k = 0u; k < RV; k++) {
                uint i = t + k * WG;
                if (i < D) {
                    ys[base + i] = v[k] * inv * loadW(i);
#if defined(ADD_YES)
                    sums[base + i] = v[k];
#endif
                }
            }
            continue;
        }
        for (uint i = t; i < D; i += WG) { float e = xv(base + i); s += e * e; }
        float inv = inversesqrt(wgSum(s) / float(D) + pc.eps);
        for (uint i = t; i < D; i += WG) {
            float x = xv(base + i);
            ys[base + i] = x * inv * loadW(i);
#if defined(ADD_YES)
            sums[base + i] = x;
#endif
        }
#endif
    }
}
