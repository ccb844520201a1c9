#version 450
// variants: D=64,128
// Causal attention for many query rows (prefill), flash-attention style: one workgroup per
// (head, tile of 32 query rows) walks the keys in tiles of 32, staging each K and V tile in
// shared memory once for all 32 rows (attention.comp reads the whole cache once per row).
// Four invocations share a row: each holds a quarter of the query (vec4 i = lane + 4j) and
// of the output in registers; a score is the sum of the four partial dot products
// (subgroup shuffles, so the four lanes of a row must share a subgroup: subgroup size ≥ 4).
// The online softmax (running max m, sum l) is per row, in registers: every lane of a row
// sees all 32 scores of a tile. D_64 serves head_dim ≤ 64, D_128 head_dim ≤ 128; head_dim and
// the K/V row width must be multiples of 4 (the lowering checks).
#extension GL_KHR_shader_subgroup_shuffle : enable
layout(local_size_x = 128) in;
#include "common.glsl"
layout(std430, binding = 1) readonly buffer Q { vec4 q4[]; };
layout(std430, binding = 2) readonly buffer K { vec4 k4[]; };
layout(std430, binding = 3) readonly buffer V { vec4 v4[]; };
layout(std430, binding = 4) writeonly buffer Y { vec4 y4[]; };
layout(push_constant) uniform PC { uvec2 rows; uint heads; uint kvHeads; uint headDim; uint window; float scale; } pc;
#if defined(D_64)
const uint NQ = 4u;   // vec4s per lane
#else
const uint NQ = 8u;
#endif
const uint BR = 32u, BC = 32u, STRIDE = 4u * NQ;   // rows per tile, keys per tile, vec4s per staged key
shared vec4 ksh[BC * STRIDE];
shared vec4 vsh[BC * STRIDE];

// The first key a query at position p may see (sliding window), 0 without a window.
uint firstKey(uint p) { return (pc.window > 0u && p + 1u > pc.window) ? p + 1u - pc.window : 0u; }

void main() {
    uint t = gl_LocalInvocationID.x, lane = t & 3u;
    uint rows = affine(pc.rows), D4 = pc.headDim >> 2;
    uint qw4 = pc.heads * D4, kw4 = pc.kvHeads * D4;
    uint h = gl_WorkGroupID.x, g = h / (pc.heads / pc.kvHeads);
    for (uint r0 = gl_WorkGroupID.y * BR; r0 < rows; r0 += gl_NumWorkGroups.y * BR) {
        uint row = r0 + (t >> 2);
        bool live = row < rows;
        uint p = stepv.P + row, lo = firstKey(p);
        vec4 q[NQ], acc[NQ];
        [[unroll]] for (uint j = 0u; j < NQ; j++) {
            uint i = lane + 4u * j;
            q[j] = live && i < D4 ? q4[row * qw4 + h * D4 + i] * pc.scale : vec4(0.0);
            acc[j] = vec4(0.0);
        }
        float m = -3.4e38, l = 0.0;
        // Keys any row of this tile may see.
        uint hi = stepv.P + min(r0 + BR, rows);
        for (uint j0 = firstKey(stepv.P + r0); j0 < hi; j0 += BC) {
            uint cnt = min(BC, hi - j0);
            for (uint e = t; e < cnt * D4; e += 128u) {
                uint c = e / D4, i = e - c * D4;
                uint src = (j0 + c) * kw4 + g * D4 + i;
                ksh[c * STRIDE + i] = k4[src];
                vsh[c * STRIDE + i] = v4[src];
            }
            barrier();
            float s[BC];
            float cm = m;
            [[unroll]] for (uint c = 0u; c < BC; c++) {
                float a = 0.0;
                if (c < cnt) {
                    [[unroll]] for (uint j = 0u; j < NQ; j++) {
                        uint i = lane + 4u * j;
                        if (i < D4) a += dot(q[j], ksh[c * STRIDE + i]);
                    }
                }
                a += subgroupShuffleXor(a, 1u);
                a += subgroupShuffleXor(a, 2u);
                uint key = j0 + c;
                s[c] = (c < cnt && key <= p && key >= lo) ? a : -3.4e38;
                cm = max(cm, s[c]);
            }
            float corr = exp(m - cm);
            l *= corr;
            [[unroll]] for (uint j = 0u; j < NQ; j++) acc[j] *= corr;
            [[unroll]] for (uint c = 0u; c < BC; c++) {
                if (s[c] > -3.0e38) {
                    float e = exp(s[c] - cm);
                    l += e;
                    [[unroll]] for (uint j = 0u; j < NQ; j++) {
                        uint i = lane + 4u * j;
                        if (i < D4) acc[j] += e * vsh[c * STRIDE + i];
                    }
                }
            }
            m = cm;
            barrier();
        }
        [[unroll]] for (uint j = 0u; j < NQ; j++) {
            uint i = lane + 4u * j;
            if (live && i < D4) y4[row * qw4 + h * D4 + i] = acc[j] / l;
        }
    }
}
