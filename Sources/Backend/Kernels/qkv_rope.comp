#version 450
// variants: W=f32,f16,bf16,q4_0,q4_1,q5_0,q5_1,q8_0,q4_k,q6_k RED=shared,subgroup,texel NORM=none,rms,addrms KV=f32,f16
// One matmul over w = [Wq; Wk; Wv] with the epilogue: RoPE on the q and k columns (row t at
// position P + t), q written out, k and v written into their caches at row P + t.
// Each invocation (or subgroup) owns one PAIR of columns: a rotation pair of q or k, or two
// adjacent v columns.
#include "common.glsl"
#include "kvcache.glsl"
#define SUM_BINDING 8
#if defined(NORM_ADDRMS)
layout(std430, binding = SUM_BINDING) writeonly buffer S { float sums[]; };
#endif
#include "prologue.glsl"
#include "matrix_weights.glsl"
layout(std430, binding = B0 + 1) writeonly buffer Q { float qs[]; };
layout(std430, binding = B0 + 2) buffer KC { KVT kc[]; };
layout(std430, binding = B0 + 3) buffer VC { KVT vc[]; };
layout(push_constant) uniform PC {
    uvec2 rows; uint K; uint heads; uint kvHeads; uint headDim; uint dims; uint mode; float base; uint capacity; float eps;
} pc;
#include "weights.glsl"
#include "matvec.glsl"
#include "qkvpairs.glsl"

void main() {
    uint rows = affine(pc.rows), K = pc.K, D = pc.headDim;
    uint qd = pc.heads * D, kvd = pc.kvHeads * D;
    uint pairs = (qd + 2u * kvd) / 2u;
    COLUMN_SETUP(lane, lanes, first, stride)
    for (uint r0 = gl_WorkGroupID.y * R; r0 < rows; r0 += gl_NumWorkGroups.y * R) {
        uint nr = min(R, rows - r0);
        prologue(r0, nr, K, pc.eps);
        for (uint p = first; p < pairs; p += stride) {
            uint ca, cb, fi; bool rotate;
            qkvPair(p, qd, kvd, D, pc.dims, pc.mode, ca, cb, fi, rotate);
            float a[R], b[R];
            [[unroll]] for (uint j = 0u; j < R; j++) { a[j] = 0.0; b[j] = 0.0; }
            rowDotsPair(ca, cb, r0, nr, K, lane, lanes, a, b);
            REDUCE(a)
            REDUCE(b)
            if (LEADER) {
                [[unroll]] for (uint j = 0u; j < R; j++) if (j < nr) QKV_STORE(r0 + j, a[j], b[j])
            }
        }
    }
}
