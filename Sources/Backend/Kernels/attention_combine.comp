#version 450
// Merges attention_partial's slices for one (query row, head) per workgroup:
// y[d] = Σ_s e^(m_s − M)·acc_s[d] / Σ_s e^(m_s − M)·l_s with M the largest m_s.
layout(local_size_x = 64) in;
#include "common.glsl"
layout(std430, binding = 1) readonly buffer P { float ps[]; };
layout(std430, binding = 2) writeonly buffer Y { float ys[]; };
layout(push_constant) uniform PC { uvec2 rows; uint heads; uint headDim; uint splits; } pc;

void main() {
    uint rows = affine(pc.rows), D = pc.headDim, S = pc.splits, t = gl_LocalInvocationID.x;
    uint pw = pc.heads * S * (D + 2u);
    for (uint r = gl_WorkGroupID.y; r < rows; r += gl_NumWorkGroups.y) {
        for (uint h = gl_WorkGroupID.x; h < pc.heads; h += gl_NumWorkGroups.x) {
            uint base = r * pw + h * S * (D + 2u);
            float big = -3.4e38;
            for (uint s = 0u; s < S; s++) big = max(big, ps[base + s * (D + 2u)]);
            float l = 0.0;
            for (uint s = 0u; s < S; s++) l += exp(ps[base + s * (D + 2u)] - big) * ps[base + s * (D + 2u) + 1u];
            for (uint d = t; d < D; d += 64u) {
                float a = 0.0;
                for (uint s = 0u; s < S; s++) a += exp(ps[base + s * (D + 2u)] - big) * ps[base + s * (D + 2u) + 2u + d];
                ys[r * pc.heads * D + h * D + d] = a / l;
            }
        }
    }
}
