#version 450
// variants: RED=shared,subgroup KV=f32,f16
// Causal attention with grouped-query heads over the first P+T rows of the K/V cache.
// One workgroup per (head, query row), over the keys in chunks (attend.glsl): the barrier
// count per chunk is fixed (a handful) whatever the chunk length.
#define WG 64u
layout(local_size_x = 64) in;
#include "common.glsl"
#include "kvcache.glsl"
#include "reduce.glsl"
layout(std430, binding = 1) readonly buffer Q { float qs[]; };
layout(std430, binding = 2) readonly buffer K { KVT ks[]; };
layout(std430, binding = 2) readonly buffer K4 { KVT4 ks4[]; };
layout(std430, binding = 3) readonly buffer V { KVT vs[]; };
layout(std430, binding = 4) writeonly buffer Y { float ys[]; };
layout(push_constant) uniform PC { uvec2 rows; uint heads; uint kvHeads; uint headDim; uint window; float scale; } pc;
const uint MAXD = 256u;
const uint CH = 1024u;
shared float qsh[MAXD];
shared float sc[CH];
#define KC(i) float(ks[i])
#define KC4(i) vec4(ks4[i])
#define VC(i) float(vs[i])
#include "attend.glsl"

void main() {
    uint rows = affine(pc.rows), D = pc.headDim, t = gl_LocalInvocationID.x;
    uint group = pc.heads / pc.kvHeads;
    uint qw = pc.heads * D, kw = pc.kvHeads * D;
    for (uint r = gl_WorkGroupID.y; r < rows; r += gl_NumWorkGroups.y) {
        for (uint h = gl_WorkGroupID.x; h < pc.heads; h += gl_NumWorkGroups.x) {
            uint g = h / group;
            uint p = stepv.P + r;
            uint first = firstKey(p, pc.window);
            for (uint d = t; d < D; d += WG) qsh[d] = qs[r * qw + h * D + d] * pc.scale;
            barrier();
            float m = -3.4e38, l = 0.0;
            float acc[MAXD / WG];
            [[unroll]] for (uint k = 0u; k < MAXD / WG; k++) acc[k] = 0.0;
            attend(first, p + 1u, kw, g * D, D, m, l, acc);
            [[unroll]] for (uint k = 0u; k < MAXD / WG; k++) {
                uint d = t + WG * k;
                if (d < D) ys[r * qw + h * D + d] = acc[k] / l;
            }
            barrier();
        }
    }
}
