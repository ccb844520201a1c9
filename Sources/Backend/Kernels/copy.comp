#version 450
// Strided copy along one axis, for slice and concat: for o < outer, l < len, i < inner:
// y[(o·dstAxis + dstStart + l)·inner + i] = x[(o·srcAxis + srcStart + l)·inner + i].
layout(local_size_x = 256) in;
#include "common.glsl"
layout(std430, binding = 1) readonly buffer X { uint xs[]; };
layout(std430, binding = 2) buffer Y { uint ys[]; };
layout(push_constant) uniform PC {
    uvec2 outer; uvec2 srcAxis; uvec2 srcStart; uvec2 len; uvec2 dstAxis; uvec2 dstStart; uint inner;
} pc;

void main() {
    uint outer = affine(pc.outer), len = affine(pc.len), inner = pc.inner;
    uint srcAxis = affine(pc.srcAxis), srcStart = affine(pc.srcStart);
    uint dstAxis = affine(pc.dstAxis), dstStart = affine(pc.dstStart);
    uint n = outer * len * inner;
    for (uint e = gl_GlobalInvocationID.x; e < n; e += gl_NumWorkGroups.x * 256u) {
        uint i = e % inner, l = (e / inner) % len, o = e / (inner * len);
        ys[(o * dstAxis + dstStart + l) * inner + i] = xs[(o * srcAxis + srcStart + l) * inner + i];
    }
}
