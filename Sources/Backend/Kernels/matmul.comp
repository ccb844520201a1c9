#version 450
// variants: W=f32,f16,bf16,q4_0,q4_1,q5_0,q5_1,q8_0,q4_k,q6_k RED=shared,subgroup,texel NORM=none,rms,addrms
// y[r, n] = Σ_k x[r, k] · w[n, k], in tiles of R rows so each weight block is dequantized
// once per tile (matvec.glsl).
#include "common.glsl"
#define SUM_BINDING 6
#if defined(NORM_ADDRMS)
layout(std430, binding = SUM_BINDING) writeonly buffer S { float sums[]; };
#endif
#include "prologue.glsl"
#include "matrix_weights.glsl"
layout(std430, binding = B0 + 1) writeonly buffer Y { float ys[]; };
// N columns of this dispatch, written at nOff within rows of Nstride (a weight bigger than
// one binding is bound in row windows, one dispatch each).
layout(push_constant) uniform PC { uvec2 rows; uint K; uint N; float eps; uint Nstride; uint nOff; } pc;
#include "weights.glsl"
#include "matvec.glsl"

void main() {
    uint rows = affine(pc.rows), K = pc.K, N = pc.N;
    COLUMN_SETUP(lane, lanes, first, stride)
    for (uint r0 = gl_WorkGroupID.y * R; r0 < rows; r0 += gl_NumWorkGroups.y * R) {
        uint nr = min(R, rows - r0);
        prologue(r0, nr, K, pc.eps);
        for (uint n = first; n < N; n += stride) {
            float acc[R];
            [[unroll]] for (uint j = 0u; j < R; j++) acc[j] = 0.0;
            rowDots(n, r0, nr, K, lane, lanes, acc);
            REDUCE(acc)
            if (LEADER) { [[unroll]] for (uint j = 0u; j < R; j++) if (j < nr) ys[(r0 + j) * pc.Nstride + pc.nOff + n] = acc[j]; }
        }
    }
}
