#version 450
// variants: W=f32,f16,bf16,q4_0,q4_1,q8_0 RED=shared,subgroup
// y[r, n] = Σ_k x[r, k] · w[n, k] for a tile of up to 4 rows, so every weight block is
// dequantized once per tile.
// RED_SUBGROUP: each subgroup owns one output column; its lanes split the 32-value blocks
// of K (adjacent lanes read adjacent blocks) and subgroupAdd combines them.
// RED_SHARED: each invocation owns one output column and walks all of K.
layout(local_size_x = 64) in;
#include "common.glsl"
layout(std430, binding = 1) readonly buffer X { float xs[]; };
layout(std430, binding = 2) readonly buffer Wt { uint wdata[]; };
layout(std430, binding = 3) writeonly buffer Y { float ys[]; };
layout(push_constant) uniform PC { uvec2 rows; uint K; uint N; } pc;
#define WBUF wdata
#include "weights.glsl"
#if defined(RED_SUBGROUP)
#extension GL_KHR_shader_subgroup_arithmetic : enable
#extension GL_KHR_shader_subgroup_basic : enable
#endif
const uint R = 4u;

void main() {
    uint rows = affine(pc.rows), K = pc.K, N = pc.N;
#if defined(RED_SUBGROUP)
    uint lane = gl_SubgroupInvocationID, lanes = gl_SubgroupSize;
    uint first = gl_WorkGroupID.x * gl_NumSubgroups + gl_SubgroupID, step = gl_NumWorkGroups.x * gl_NumSubgroups;
#else
    uint lane = 0u, lanes = 1u;
    uint first = gl_GlobalInvocationID.x, step = gl_NumWorkGroups.x * 64u;
#endif
    for (uint r0 = gl_WorkGroupID.y * R; r0 < rows; r0 += gl_NumWorkGroups.y * R) {
        uint nr = min(R, rows - r0);
        for (uint n = first; n < N; n += step) {
            float acc[R];
            [[unroll]] for (uint j = 0u; j < R; j++) acc[j] = 0.0;
            if ((K & 31u) == 0u) {
                float w[32];
                for (uint kb = lane * 32u; kb < K; kb += lanes * 32u) {
                    dequant32(n * K + kb, w);
                    [[unroll]] for (uint j = 0u; j < R; j++) {
                        if (j < nr) {
                            uint xo = (r0 + j) * K + kb;
                            float s = 0.0;
                            [[unroll]] for (uint i = 0u; i < 32u; i++) s += w[i] * xs[xo + i];
                            acc[j] += s;
                        }
                    }
                }
            } else {
                for (uint k = lane; k < K; k += lanes) {
                    float wv = loadW(n * K + k);
                    [[unroll]] for (uint j = 0u; j < R; j++) if (j < nr) acc[j] += wv * xs[(r0 + j) * K + k];
                }
            }
#if defined(RED_SUBGROUP)
            [[unroll]] for (uint j = 0u; j < R; j++) acc[j] = subgroupAdd(acc[j]);
            if (lane == 0u)
#endif
            [[unroll]] for (uint j = 0u; j < R; j++) if (j < nr) ys[(r0 + j) * N + n] = acc[j];
        }
    }
}
