#version 450
// Per row: index of the largest value, the lowest index on ties; one workgroup of 256
// invocations per row (argmax.glsl).
layout(local_size_x = 256) in;
#include "common.glsl"
layout(std430, binding = 1) readonly buffer X { float xs[]; };
layout(std430, binding = 2) writeonly buffer Y { int ys[]; };
layout(push_constant) uniform PC { uvec2 rows; uint D; } pc;
#include "argmax.glsl"

void main() {
    uint rows = affine(pc.rows), D = pc.D;
    for (uint r = gl_WorkGroupID.x; r < rows; r += gl_NumWorkGroups.x) {
        float bv = -3.4e38; uint bi = NONE;
        scanBest(r * D, 0u, D, bv, bi);
        reduceBest(bv, bi);
        if (gl_LocalInvocationID.x == 0u) ys[r] = int(bi);
    }
}
