#version 450
// variants: W=f32,f16,bf16,q4_0,q4_1,q8_0 RED=shared,subgroup NORM=none,rms,addrms
// One matmul over w = [Wq; Wk; Wv] with the epilogue: RoPE on the q and k columns (row t at
// position P + t), q written out, k and v written into their caches at row P + t.
// Each invocation (or subgroup) owns one PAIR of columns: a rotation pair of q or k, or two
// adjacent v columns.
layout(local_size_x = 64) in;
#include "common.glsl"
#define SUM_BINDING 8
#if defined(NORM_ADDRMS)
layout(std430, binding = SUM_BINDING) writeonly buffer S { float sums[]; };
#endif
#include "prologue.glsl"
layout(std430, binding = B0) readonly buffer Wt { uint wdata[]; };
layout(std430, binding = B0 + 1) writeonly buffer Q { float qs[]; };
layout(std430, binding = B0 + 2) buffer KC { float kc[]; };
layout(std430, binding = B0 + 3) buffer VC { float vc[]; };
layout(push_constant) uniform PC {
    uvec2 rows; uint K; uint heads; uint kvHeads; uint headDim; uint dims; uint mode; float base; uint capacity; float eps;
} pc;
#define WBUF wdata
#include "weights.glsl"
#include "matvec.glsl"

void main() {
    uint rows = affine(pc.rows), K = pc.K, D = pc.headDim, half_ = D / 2u;
    uint qd = pc.heads * D, kvd = pc.kvHeads * D;
    uint pairs = (qd + 2u * kvd) / 2u;
    COLUMN_SETUP(lane, lanes, first, stride)
    for (uint r0 = gl_WorkGroupID.y * R; r0 < rows; r0 += gl_NumWorkGroups.y * R) {
        uint nr = min(R, rows - r0);
        prologue(r0, nr, K, pc.eps);
        for (uint p = first; p < pairs; p += stride) {
            // Which two columns (of the concatenated output) and whether they rotate.
            uint ca, cb, i = 0u; bool rotate = false;
            if (p < (qd + kvd) / 2u) {
                uint base = p < qd / 2u ? 0u : qd;
                uint hp = p < qd / 2u ? p : p - qd / 2u;
                uint head = hp / half_, j = hp % half_;
                uint h0 = base + head * D;
                if (j < pc.dims / 2u) {
                    rotate = true; i = j;
                    if (pc.mode == 0u) { ca = h0 + 2u * j; cb = ca + 1u; } else { ca = h0 + j; cb = ca + pc.dims / 2u; }
                } else {
                    uint e = pc.dims + 2u * (j - pc.dims / 2u);
                    ca = h0 + e; cb = ca + 1u;
                }
            } else {
                ca = qd + kvd + 2u * (p - (qd + kvd) / 2u); cb = ca + 1u;
            }
            float a[R], b[R];
            [[unroll]] for (uint j = 0u; j < R; j++) { a[j] = 0.0; b[j] = 0.0; }
            rowDots(ca, r0, nr, K, lane, lanes, a);
            rowDots(cb, r0, nr, K, lane, lanes, b);
            REDUCE(a)
            REDUCE(b)
            if (LEADER) {
                float freq = pow(pc.base, -2.0 * float(i) / float(pc.dims));
                [[unroll]] for (uint j = 0u; j < R; j++) {
                    if (j >= nr) continue;
                    uint t = r0 + j, pos = stepv.P + t;
                    float va = a[j], vb = b[j];
                    if (rotate) {
                        float th = float(pos) * freq, c = cos(th), s = sin(th);
                        va = a[j] * c - b[j] * s; vb = a[j] * s + b[j] * c;
                    }
                    if (ca < qd) { qs[t * qd + ca] = va; qs[t * qd + cb] = vb; }
                    else if (pos < pc.capacity) {
                        if (ca < qd + kvd) { kc[pos * kvd + ca - qd] = va; kc[pos * kvd + cb - qd] = vb; }
                        else { vc[pos * kvd + ca - qd - kvd] = va; vc[pos * kvd + cb - qd - kvd] = vb; }
                    }
                }
            }
        }
    }
}
