#version 450
// variants: RED=shared,subgroup
// Causal attention with grouped-query heads over the first P+T rows of the K/V cache.
// One workgroup per (head, query row). Keys are taken in chunks of up to CH: each
// invocation scores keys t, t+64, … of the chunk (a whole dot product per key, q from
// shared memory), the chunk's max and sum are workgroup reductions, and each invocation
// then accumulates its own output dims over the chunk's keys (V reads are coalesced).
// An online softmax carries the running max and sum from chunk to chunk, so the barrier
// count per chunk is fixed (a handful) whatever the chunk length.
#define WG 64u
layout(local_size_x = 64) in;
#include "common.glsl"
#include "reduce.glsl"
layout(std430, binding = 1) readonly buffer Q { float qs[]; };
layout(std430, binding = 2) readonly buffer K { float ks[]; };
layout(std430, binding = 3) readonly buffer V { float vs[]; };
layout(std430, binding = 4) writeonly buffer Y { float ys[]; };
layout(push_constant) uniform PC { uvec2 rows; uint heads; uint kvHeads; uint headDim; uint window; float scale; } pc;
const uint MAXD = 256u;
const uint CH = 1024u;
shared float qsh[MAXD];
shared float sc[CH];

void main() {
    uint rows = affine(pc.rows), D = pc.headDim, t = gl_LocalInvocationID.x;
    uint group = pc.heads / pc.kvHeads;
    uint qw = pc.heads * D, kw = pc.kvHeads * D;
    for (uint r = gl_WorkGroupID.y; r < rows; r += gl_NumWorkGroups.y) {
        for (uint h = gl_WorkGroupID.x; h < pc.heads; h += gl_NumWorkGroups.x) {
            uint g = h / group;
            uint p = stepv.P + r;
            uint first = (pc.window > 0u && p + 1u > pc.window) ? p + 1u - pc.window : 0u;
            for (uint d = t; d < D; d += WG) qsh[d] = qs[r * qw + h * D + d] * pc.scale;
            barrier();
            float m = -3.4e38, l = 0.0;
            float acc[MAXD / WG];
            [[unroll]] for (uint k = 0u; k < MAXD / WG; k++) acc[k] = 0.0;
            for (uint j0 = first; j0 <= p; j0 += CH) {
                uint cnt = min(CH, p + 1u - j0);
                float cm = -3.4e38;
                for (uint c = t; c < cnt; c += WG) {
                    uint base = (j0 + c) * kw + g * D;
                    float dot = 0.0;
                    for (uint d = 0u; d < D; d++) dot += qsh[d] * ks[base + d];
                    sc[c] = dot;
                    cm = max(cm, dot);
                }
                cm = max(wgMax(cm), m);
                float part = 0.0;
                for (uint c = t; c < cnt; c += WG) { float e = exp(sc[c] - cm); sc[c] = e; part += e; }
                float corr = exp(m - cm);
                l = l * corr + wgSum(part);
                m = cm;
                [[unroll]] for (uint k = 0u; k < MAXD / WG; k++) {
                    uint d = t + WG * k;
                    if (d < D) {
                        float a = 0.0;
                        uint base = j0 * kw + g * D + d;
                        for (uint c = 0u; c < cnt; c++) a += sc[c] * vs[base + c * kw];
                        acc[k] = acc[k] * corr + a;
                    }
                }
                barrier();
            }
            [[unroll]] for (uint k = 0u; k < MAXD / WG; k++) {
                uint d = t + WG * k;
                if (d < D) ys[r * qw + h * D + d] = acc[k] / l;
            }
            barrier();
        }
    }
}
