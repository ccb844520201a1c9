#version 450
// variants: W=f32,f16,bf16,q4_0,q4_1,q5_0,q5_1,q8_0,q4_k,q6_k RED=shared,subgroup,texel NORM=none,rms,addrms
// y[r, n] = silu(x·w[n]) · (x·w[F + n]) for w = [W_gate; W_up] with 2F rows.
#include "common.glsl"
#define SUM_BINDING 6
#if defined(NORM_ADDRMS)
layout(std430, binding = SUM_BINDING) writeonly buffer S { float sums[]; };
#endif
#include "prologue.glsl"
#include "matrix_weights.glsl"
layout(std430, binding = B0 + 1) writeonly buffer Y { float ys[]; };
layout(push_constant) uniform PC { uvec2 rows; uint K; uint F; float eps; } pc;
#include "weights.glsl"
#include "matvec.glsl"

void main() {
    uint rows = affine(pc.rows), K = pc.K, F = pc.F;
    COLUMN_SETUP(lane, lanes, first, stride)
    for (uint r0 = gl_WorkGroupID.y * R; r0 < rows; r0 += gl_NumWorkGroups.y * R) {
        uint nr = min(R, rows - r0);
        prologue(r0, nr, K, pc.eps);
        for (uint n = first; n < F; n += stride) {
            float g[R], u[R];
            [[unroll]] for (uint j = 0u; j < R; j++) { g[j] = 0.0; u[j] = 0.0; }
            rowDotsPair(n, F + n, r0, nr, K, lane, lanes, g, u);
            REDUCE(g)
            REDUCE(u)
            if (LEADER) {
                [[unroll]] for (uint j = 0u; j < R; j++)
                    if (j < nr) ys[(r0 + j) * F + n] = g[j] / (1.0 + exp(-g[j])) * u[j];
            }
        }
    }
}
