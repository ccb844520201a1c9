#version 450
// Per row: index of the largest value, the lowest index on ties.
layout(local_size_x = 64) in;
#include "common.glsl"
layout(std430, binding = 1) readonly buffer X { float xs[]; };
layout(std430, binding = 2) writeonly buffer Y { int ys[]; };
layout(push_constant) uniform PC { uvec2 rows; uint D; } pc;
shared float sv[64];
shared uint si[64];

void main() {
    uint rows = affine(pc.rows), D = pc.D, t = gl_LocalInvocationID.x;
    for (uint r = gl_WorkGroupID.x; r < rows; r += gl_NumWorkGroups.x) {
        float bv = -3.4e38; uint bi = 0xFFFFFFFFu;
        for (uint i = t; i < D; i += 64u) {
            float v = xs[r * D + i];
            if (v > bv || bi == 0xFFFFFFFFu) { bv = v; bi = i; }
        }
        sv[t] = bv; si[t] = bi;
        barrier();
        for (uint s = 32u; s > 0u; s >>= 1) {
            if (t < s) {
                float ov = sv[t + s]; uint oi = si[t + s];
                if (oi != 0xFFFFFFFFu && (si[t] == 0xFFFFFFFFu || ov > sv[t] || (ov == sv[t] && oi < si[t]))) {
                    sv[t] = ov; si[t] = oi;
                }
            }
            barrier();
        }
        if (t == 0u) ys[r] = int(si[0]);
        barrier();
    }
}
