#version 450
// y[t] = P + t.
layout(local_size_x = 64) in;
#include "common.glsl"
layout(std430, binding = 1) writeonly buffer Y { int ys[]; };
layout(push_constant) uniform PC { uvec2 n; } pc;

void main() {
    uint n = affine(pc.n);
    for (uint i = gl_GlobalInvocationID.x; i < n; i += gl_NumWorkGroups.x * 64u) ys[i] = int(stepv.P + i);
}
