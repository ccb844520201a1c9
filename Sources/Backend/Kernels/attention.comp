#version 450
// Causal attention with grouped-query heads over the first P+T rows of the K/V cache.
// One workgroup per (head, query row): 64 keys at a time, staged through shared memory so
// the loads are coalesced; each invocation scores one key, then every invocation folds the
// chunk into its output dims with an online softmax.
layout(local_size_x = 64) in;
#include "common.glsl"
layout(std430, binding = 1) readonly buffer Q { float qs[]; };
layout(std430, binding = 2) readonly buffer K { float ks[]; };
layout(std430, binding = 3) readonly buffer V { float vs[]; };
layout(std430, binding = 4) writeonly buffer Y { float ys[]; };
layout(push_constant) uniform PC { uvec2 rows; uint heads; uint kvHeads; uint headDim; uint window; float scale; } pc;
const uint MAXD = 256u;
shared float qsh[MAXD];
shared float sc[64];
// A tile of 64 keys × 64 dims, loaded with consecutive invocations reading consecutive
// floats (one padding column avoids bank conflicts).
shared float ktile[64][65];

void main() {
    uint rows = affine(pc.rows), D = pc.headDim, t = gl_LocalInvocationID.x;
    uint group = pc.heads / pc.kvHeads;
    uint qw = pc.heads * D, kw = pc.kvHeads * D;
    for (uint r = gl_WorkGroupID.y; r < rows; r += gl_NumWorkGroups.y) {
        for (uint h = gl_WorkGroupID.x; h < pc.heads; h += gl_NumWorkGroups.x) {
            uint g = h / group;
            uint p = stepv.P + r;
            uint first = (pc.window > 0u && p + 1u > pc.window) ? p + 1u - pc.window : 0u;
            for (uint d = t; d < D; d += 64u) qsh[d] = qs[r * qw + h * D + d];
            barrier();
            float m = -3.4e38, l = 0.0;
            float acc[MAXD / 64u];
            [[unroll]] for (uint k = 0u; k < MAXD / 64u; k++) acc[k] = 0.0;
            for (uint j0 = first; j0 <= p; j0 += 64u) {
                uint j = j0 + t;
                float dot = 0.0;
                for (uint d0 = 0u; d0 < D; d0 += 64u) {
                    for (uint e = t; e < 64u * 64u; e += 64u) {
                        uint kk = e / 64u, dd = e % 64u, jj = j0 + kk;
                        ktile[kk][dd] = (jj <= p && d0 + dd < D) ? ks[jj * kw + g * D + d0 + dd] : 0.0;
                    }
                    barrier();
                    uint dn = min(64u, D - d0);
                    for (uint dd = 0u; dd < dn; dd++) dot += qsh[d0 + dd] * ktile[t][dd];
                    barrier();
                }
                sc[t] = j <= p ? dot * pc.scale : -3.4e38;
                barrier();
                uint cnt = min(64u, p + 1u - j0);
                float cm = m;
                for (uint c = 0u; c < cnt; c++) cm = max(cm, sc[c]);
                float corr = exp(m - cm);
                l *= corr;
                [[unroll]] for (uint k = 0u; k < MAXD / 64u; k++) acc[k] *= corr;
                barrier();
                // Each invocation exponentiates one score; then V is staged like K.
                sc[t] = t < cnt ? exp(sc[t] - cm) : 0.0;
                barrier();
                for (uint c = 0u; c < cnt; c++) l += sc[c];
                [[unroll]] for (uint k = 0u; k < MAXD / 64u; k++) {
                    uint d0 = 64u * k;
                    if (d0 < D) {
                        for (uint e = t; e < 64u * 64u; e += 64u) {
                            uint kk = e / 64u, dd = e % 64u, jj = j0 + kk;
                            ktile[kk][dd] = (kk < cnt && d0 + dd < D) ? vs[jj * kw + g * D + d0 + dd] : 0.0;
                        }
                        barrier();
                        float a = 0.0;
                        for (uint c = 0u; c < cnt; c++) a += sc[c] * ktile[c][t];
                        acc[k] += a;
                        barrier();
                    }
                }
                m = cm;
                barrier();
            }
            [[unroll]] for (uint k = 0u; k < MAXD / 64u; k++) {
                uint d = t + 64u * k;
                if (d < D) ys[r * qw + h * D + d] = acc[k] / l;
            }
            barrier();
        }
    }
}
