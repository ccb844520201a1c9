#version 450
// variants: RED=shared,subgroup
// add_post_rms_norm, per row over the last dim: sum = a + rms_norm(b)·pw (Gemma's norm of a
// block's output before its residual add), y = rms_norm(sum)·w (the next block's input norm);
// both weights float32. Bindings: a, b, pw, w, sum, y.
// The workgroup size, specialization constant 0: 256 on GPUs, 64 on CPU drivers.
layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64u;
#include "common.glsl"
layout(std430, binding = 1) readonly buffer A { float as_[]; };
layout(std430, binding = 2) readonly buffer B { float bs[]; };
layout(std430, binding = 3) readonly buffer PW { float pws[]; };
layout(std430, binding = 4) readonly buffer W { float ws[]; };
layout(std430, binding = 5) writeonly buffer S { float sums[]; };
layout(std430, binding = 6) writeonly buffer Y { float ys[]; };
layout(push_constant) uniform PC { uvec2 rows; uint D; float eps; float postEps; } pc;
#include "reduce.glsl"

// Values per invocation kept in registers: rows up to RV·WG values are read once.
const uint RV = 8u;

void main() {
    uint rows = affine(pc.rows), D = pc.D, t = gl_LocalInvocationID.x;
    for (uint r = gl_WorkGroupID.x; r < rows; r += gl_NumWorkGroups.x) {
        uint base = r * D;
        if (D <= RV * WG) {
            float a[RV], b[RV];
            float sb = 0.0;
            [[unroll]] for (uint k = 0u; k < RV; k++) {
                uint i = t + k * WG;
                a[k] = i < D ? as_[base + i] : 0.0;
                b[k] = i < D ? bs[base + i] : 0.0;
            }
            [[unroll]] for (uint k = 0u; k < RV; k++) sb += b[k] * b[k];
            float invb = inversesqrt(wgSum(sb) / float(D) + pc.postEps);
            float s = 0.0;
            [[unroll]] for (uint k = 0u; k < RV; k++) {
                uint i = t + k * WG;
                a[k] += i < D ? b[k] * invb * pws[i] : 0.0;
                s += a[k] * a[k];
            }
            float inv = inversesqrt(wgSum(s) / float(D) + pc.eps);
            [[unroll]] for (uint k = 0u; k < RV; k++) {
                uint i = t + k * WG;
                if (i < D) { sums[base + i] = a[k]; ys[base + i] = a[k] * inv * ws[i]; }
            }
            continue;
        }
        float sb = 0.0;
        for (uint i = t; i < D; i += WG) { float v = bs[base + i]; sb += v * v; }
        float invb = inversesqrt(wgSum(sb) / float(D) + pc.postEps);
        float s = 0.0;
        for (uint i = t; i < D; i += WG) { float v = as_[base + i] + bs[base + i] * invb * pws[i]; s += v * v; }
        float inv = inversesqrt(wgSum(s) / float(D) + pc.eps);
        for (uint i = t; i < D; i += WG) {
            float v = as_[base + i] + bs[base + i] * invb * pws[i];
            sums[base + i] = v;
            ys[base + i] = v * inv * ws[i];
        }
    }
}
