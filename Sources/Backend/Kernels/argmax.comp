#version 450
// Per row: index of the largest value, the lowest index on ties.
// 256 invocations per row, each comparing eight values per step with the eight loads
// issued together (a 49152-entry row of logits is 24 dependent steps, not 768).
layout(local_size_x = 256) in;
#include "common.glsl"
layout(std430, binding = 1) readonly buffer X { float xs[]; };
layout(std430, binding = 2) writeonly buffer Y { int ys[]; };
layout(push_constant) uniform PC { uvec2 rows; uint D; } pc;
shared float sv[256];
shared uint si[256];

// Whether (v, i) beats (bv, bi): larger, or equal with a lower index (none: bi = ~0).
bool better(float v, uint i, float bv, uint bi) {
    return i != 0xFFFFFFFFu && (bi == 0xFFFFFFFFu || v > bv || (v == bv && i < bi));
}

void main() {
    uint rows = affine(pc.rows), D = pc.D, t = gl_LocalInvocationID.x;
    for (uint r = gl_WorkGroupID.x; r < rows; r += gl_NumWorkGroups.x) {
        float bv = -3.4e38; uint bi = 0xFFFFFFFFu;
        for (uint i0 = t; i0 < D; i0 += 8u * 256u) {
            float v[8];
            [[unroll]] for (uint k = 0u; k < 8u; k++) v[k] = i0 + 256u * k < D ? xs[r * D + i0 + 256u * k] : 0.0;
            [[unroll]] for (uint k = 0u; k < 8u; k++) {
                uint i = i0 + 256u * k;
                if (i < D && better(v[k], i, bv, bi)) { bv = v[k]; bi = i; }
            }
        }
        sv[t] = bv; si[t] = bi;
        barrier();
        for (uint s = 128u; s > 0u; s >>= 1) {
            if (t < s && better(sv[t + s], si[t + s], sv[t], si[t])) { sv[t] = sv[t + s]; si[t] = si[t + s]; }
            barrier();
        }
        if (t == 0u) ys[r] = int(si[0]);
        barrier();
    }
}
