#version 450
// variants: W=f32,f16,bf16,q4_0,q4_1,q8_0
// y[r, n] = Σ_k x[r, k] · w[n, k]. Each invocation owns one output column n and a tile of
// up to 4 rows: every weight block is dequantized once and used for all rows of the tile.
layout(local_size_x = 64) in;
#include "common.glsl"
layout(std430, binding = 1) readonly buffer X { float xs[]; };
layout(std430, binding = 2) readonly buffer Wt { uint wdata[]; };
layout(std430, binding = 3) writeonly buffer Y { float ys[]; };
layout(push_constant) uniform PC { uvec2 rows; uint K; uint N; } pc;
#define WBUF wdata
#include "weights.glsl"
const uint R = 4u;

void main() {
    uint rows = affine(pc.rows), K = pc.K, N = pc.N;
    for (uint r0 = gl_WorkGroupID.y * R; r0 < rows; r0 += gl_NumWorkGroups.y * R) {
        uint nr = min(R, rows - r0);
        for (uint n = gl_GlobalInvocationID.x; n < N; n += gl_NumWorkGroups.x * 64u) {
            float acc[R];
            [[unroll]] for (uint j = 0u; j < R; j++) acc[j] = 0.0;
            if ((K & 31u) == 0u) {
                float w[32];
                for (uint kb = 0u; kb < K; kb += 32u) {
                    dequant32(n * K + kb, w);
                    for (uint j = 0u; j < nr; j++) {
                        uint xo = (r0 + j) * K + kb;
                        float s = 0.0;
                        [[unroll]] for (uint i = 0u; i < 32u; i++) s += w[i] * xs[xo + i];
                        acc[j] += s;
                    }
                }
            } else {
                for (uint k = 0u; k < K; k++) {
                    float wv = loadW(n * K + k);
                    for (uint j = 0u; j < nr; j++) acc[j] += wv * xs[(r0 + j) * K + k];
                }
            }
            for (uint j = 0u; j < nr; j++) ys[(r0 + j) * N + n] = acc[j];
        }
    }
}
