#version 450
// y[i] = a[i] ∘ b[i mod bn]: OP 0 add, 1 mul. bn < n broadcasts b over rows.
layout(local_size_x = 256) in;
#include "common.glsl"
layout(std430, binding = 1) readonly buffer A { float as_[]; };
layout(std430, binding = 2) readonly buffer B { float bs[]; };
layout(std430, binding = 3) writeonly buffer Y { float ys[]; };
layout(push_constant) uniform PC { uvec2 n; uvec2 bn; uint op; } pc;

void main() {
    uint n = affine(pc.n), bn = affine(pc.bn);
    for (uint i = gl_GlobalInvocationID.x; i < n; i += gl_NumWorkGroups.x * 256u) {
        float a = as_[i], b = bs[i % bn];
        ys[i] = pc.op == 0u ? a + b : a * b;
    }
}
