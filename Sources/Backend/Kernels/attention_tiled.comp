#version 450
// variants: D=64,128 KV=f32,f16
// Causal attention for many query rows (prefill), flash-attention style: one workgroup per
// (head, tile of 32 query rows) walks the keys in tiles of 16 staged in shared memory once
// for all 32 rows (attention.comp reads the whole cache once per row). The workgroup is G
// groups of 128 invocations that take turns over the key tiles (group g: tiles g, g + G, …),
// each with its own online softmax; at the end group 0 merges the G partial results. Within
// a group four invocations share a row: each holds a quarter of the query (vec4 i = lane +
// 4j) and of the output in registers; a score is the sum of the four partial dot products
// (subgroup shuffles, so the four lanes of a row must share a subgroup: subgroup size ≥ 4).
// D_64: head_dim ≤ 64, G = 4; D_128: head_dim ≤ 128, G = 2 (32 KiB of shared memory either
// way). head_dim and the K/V row width must be multiples of 4 (the lowering checks).
#extension GL_KHR_shader_subgroup_shuffle : enable
#if defined(D_64)
#define NQ 4u
#define G 4u
layout(local_size_x = 512) in;
#else
#define NQ 8u
#define G 2u
layout(local_size_x = 256) in;
#endif
#include "common.glsl"
#include "kvcache.glsl"
layout(std430, binding = 1) readonly buffer Q { vec4 q4[]; };
layout(std430, binding = 2) readonly buffer K { KVT4 k4[]; };
layout(std430, binding = 3) readonly buffer V { KVT4 v4[]; };
layout(std430, binding = 4) writeonly buffer Y { vec4 y4[]; };
layout(push_constant) uniform PC { uvec2 rows; uint heads; uint kvHeads; uint headDim; uint window; float scale; } pc;
// Rows per tile, keys per tile, vec4s per staged key row.
const uint BR = 32u, BC = 16u, STRIDE = 4u * NQ;
// Group g's K tile at kv[g·2·BC·STRIDE], its V tile right after; at the end, groups 1… put
// their partial outputs at kv[(g − 1)·BR·STRIDE] and every group its (m, l) per row in the
// last BR·STRIDE block (2·BC = BR and G ≤ STRIDE make it fit).
shared vec4 kv[2u * G * BC * STRIDE];
const uint ML = (G - 1u) * BR * STRIDE;

void main() {
    uint t = gl_LocalInvocationID.x, grp = t / 128u, u = t % 128u, lane = u & 3u, rr = u >> 2;
    uint rows = affine(pc.rows), D4 = pc.headDim >> 2;
    uint qw4 = pc.heads * D4, kw4 = pc.kvHeads * D4;
    uint h = gl_WorkGroupID.x, g = h / (pc.heads / pc.kvHeads);
    uint kbase = grp * 2u * BC * STRIDE, vbase = kbase + BC * STRIDE;
    for (uint r0 = gl_WorkGroupID.y * BR; r0 < rows; r0 += gl_NumWorkGroups.y * BR) {
        uint row = r0 + rr;
        bool live = row < rows;
        uint p = stepv.P + row, lo = firstKey(p, pc.window);
        vec4 q[NQ], acc[NQ];
        [[unroll]] for (uint j = 0u; j < NQ; j++) {
            uint i = lane + 4u * j;
            q[j] = live && i < D4 ? q4[row * qw4 + h * D4 + i] * pc.scale : vec4(0.0);
            acc[j] = vec4(0.0);
        }
        float m = -3.4e38, l = 0.0;
        // Keys any row of this tile may see, in tiles of BC; G tiles per round.
        uint start = firstKey(stepv.P + r0, pc.window), hi = stepv.P + min(r0 + BR, rows);
        uint tiles = (hi - start + BC - 1u) / BC;
        for (uint round = 0u; round < tiles; round += G) {
            uint j0 = start + (round + grp) * BC;
            uint cnt = round + grp < tiles ? min(BC, hi - j0) : 0u;
            for (uint e = u; e < cnt * D4; e += 128u) {
                uint c = e / D4, i = e - c * D4;
                uint src = (j0 + c) * kw4 + g * D4 + i;
                kv[kbase + c * STRIDE + i] = vec4(k4[src]);
                kv[vbase + c * STRIDE + i] = vec4(v4[src]);
            }
            barrier();
            if (cnt > 0u) {   // uniform in a group, so in a subgroup
                float s[BC];
                float cm = m;
                [[unroll]] for (uint c = 0u; c < BC; c++) {
                    float a = 0.0;
                    if (c < cnt) {
                        [[unroll]] for (uint j = 0u; j < NQ; j++) {
                            uint i = lane + 4u * j;
                            if (i < D4) a += dot(q[j], kv[kbase + c * STRIDE + i]);
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
                            if (i < D4) acc[j] += e * kv[vbase + c * STRIDE + i];
                        }
                    }
                }
                m = cm;
            }
            barrier();
        }
        // Merge: groups 1… hand over (m, l, acc); group 0 combines and writes.
        if (lane == 0u) kv[ML + grp * BR + rr] = vec4(m, l, 0.0, 0.0);
        if (grp > 0u) {
            [[unroll]] for (uint j = 0u; j < NQ; j++) kv[((grp - 1u) * BR + rr) * STRIDE + lane + 4u * j] = acc[j];
        }
        barrier();
        if (grp == 0u) {
            float big = m;
            for (uint k = 1u; k < G; k++) big = max(big, kv[ML + k * BR + rr].x);
            float f = exp(m - big), sum = l * f;
            [[unroll]] for (uint j = 0u; j < NQ; j++) acc[j] *= f;
            for (uint k = 1u; k < G; k++) {
                vec4 mk = kv[ML + k * BR + rr];
                float fk = exp(mk.x - big);
                sum += mk.y * fk;
                [[unroll]] for (uint j = 0u; j < NQ; j++) acc[j] += fk * kv[((k - 1u) * BR + rr) * STRIDE + lane + 4u * j];
            }
            [[unroll]] for (uint j = 0u; j < NQ; j++) {
                uint i = lane + 4u * j;
                if (live && i < D4) y4[row * qw4 + h * D4 + i] = acc[j] / sum;
            }
        }
        barrier();
    }
}
