#version 450
// variants: RED=shared,subgroup
// Per row over the last dim: exp(x − max) / Σ exp(x − max).
#define WG 64u
layout(local_size_x = 64) in;
#include "common.glsl"
layout(std430, binding = 1) readonly buffer X { float xs[]; };
layout(std430, binding = 2) writeonly buffer Y { float ys[]; };
layout(push_constant) uniform PC { uvec2 rows; uint D; } pc;
#include "reduce.glsl"

void main() {
    uint rows = affine(pc.rows), D = pc.D, t = gl_LocalInvocationID.x;
    for (uint r = gl_WorkGroupID.x; r < rows; r += gl_NumWorkGroups.x) {
        uint base = r * D;
        float m = -3.4e38;
        for (uint i = t; i < D; i += WG) m = max(m, xs[base + i]);
        m = wgMax(m);
        float s = 0.0;
        for (uint i = t; i < D; i += WG) s += exp(xs[base + i] - m);
        float inv = 1.0 / wgSum(s);
        for (uint i = t; i < D; i += WG) ys[base + i] = exp(xs[base + i] - m) * inv;
    }
}
