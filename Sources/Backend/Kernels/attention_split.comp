#version 450
// variants: RED=shared,subgroup
// One slice of the cache for one (query row, head): workgroup x = head · splits + slice.
// Scores its keys (each invocation whole dot products) and writes the slice's max score,
// exp-sum and exp-weighted value sum to the partials; then counts itself in the (row, head)
// counter, and the workgroup that finds all others done merges the slices into y and
// resets the counter (the counters start zeroed: graph state).
#define WG 64u
layout(local_size_x = 64) in;
#include "common.glsl"
#include "reduce.glsl"
layout(std430, binding = 1) readonly buffer Q { float qs[]; };
layout(std430, binding = 2) readonly buffer K { float ks[]; };
layout(std430, binding = 2) readonly buffer K4 { vec4 ks4[]; };
layout(std430, binding = 3) readonly buffer V { float vs[]; };
layout(std430, binding = 4) coherent buffer C { uint counters[]; };
layout(std430, binding = 5) writeonly buffer Y { float ys[]; };
layout(std430, binding = 6) coherent buffer Pt { float ps[]; };
layout(push_constant) uniform PC { uvec2 rows; uint heads; uint kvHeads; uint headDim; uint window; float scale; uint splits; } pc;
const uint MAXD = 256u;
const uint CH = 1024u;
shared float qsh[MAXD];
shared float sc[CH];
#define KC(i) ks[i]
#define KC4(i) ks4[i]
#define VC(i) vs[i]
#include "attend.glsl"
shared uint isLast;

void main() {
    uint rows = affine(pc.rows), D = pc.headDim, t = gl_LocalInvocationID.x;
    uint group = pc.heads / pc.kvHeads, S = pc.splits;
    uint qw = pc.heads * D, kw = pc.kvHeads * D, pw = pc.heads * S * (D + 2u);
    for (uint r = gl_WorkGroupID.y; r < rows; r += gl_NumWorkGroups.y) {
        for (uint hs = gl_WorkGroupID.x; hs < pc.heads * S; hs += gl_NumWorkGroups.x) {
            uint h = hs / S, s = hs % S, g = h / group;
            uint p = stepv.P + r;
            uint first = (pc.window > 0u && p + 1u > pc.window) ? p + 1u - pc.window : 0u;
            // Slices in use: one per 64 keys, at most S (SplitAttention.keysPerSlice).
            uint n = p + 1u - first, used = min(S, (n + 63u) / 64u), per = (n + used - 1u) / used;
            uint lo = min(first + s * per, p + 1u), hi = min(lo + per, p + 1u);
            for (uint d = t; d < D; d += WG) qsh[d] = qs[r * qw + h * D + d] * pc.scale;
            barrier();
            float m = -3.4e38, l = 0.0;
            float acc[MAXD / WG];
            [[unroll]] for (uint k = 0u; k < MAXD / WG; k++) acc[k] = 0.0;
            attend(lo, hi, kw, g * D, D, m, l, acc);
            uint o = r * pw + hs * (D + 2u);
            if (t == 0u) { ps[o] = m; ps[o + 1u] = l; }
            [[unroll]] for (uint k = 0u; k < MAXD / WG; k++) {
                uint d = t + WG * k;
                if (d < D) ps[o + 2u + d] = acc[k];
            }
            // Publish the slice, then count it; the last of the (row, head) merges.
            // One slice in use: it is the output. Empty slices (past the ones in use) are not counted.
            if (used == 1u || s >= used) {
                if (s == 0u) {
                    [[unroll]] for (uint k = 0u; k < MAXD / WG; k++) {
                        uint d = t + WG * k;
                        if (d < D) ys[r * qw + h * D + d] = acc[k] / l;
                    }
                }
                barrier();
                continue;
            }
            memoryBarrierBuffer();
            barrier();
            if (t == 0u) isLast = atomicAdd(counters[r * pc.heads + h], 1u) == used - 1u ? 1u : 0u;
            barrier();
            if (isLast != 0u) {
                memoryBarrierBuffer();
                uint base = r * pw + h * S * (D + 2u);
                float big = -3.4e38;
                for (uint s2 = 0u; s2 < used; s2++) big = max(big, ps[base + s2 * (D + 2u)]);
                float tot = 0.0;
                for (uint s2 = 0u; s2 < used; s2++) tot += exp(ps[base + s2 * (D + 2u)] - big) * ps[base + s2 * (D + 2u) + 1u];
                for (uint d = t; d < D; d += WG) {
                    float a = 0.0;
                    for (uint s2 = 0u; s2 < used; s2++) a += exp(ps[base + s2 * (D + 2u)] - big) * ps[base + s2 * (D + 2u) + 2u + d];
                    ys[r * qw + h * D + d] = a / tot;
                }
                if (t == 0u) counters[r * pc.heads + h] = 0u;
            }
            barrier();
        }
    }
}
