// The inner product loop shared by the matrix kernels: for output column n and a tile of
// up to R rows starting at r0, acc[j] = Σ_k x[r0+j, k] · w[n, k].
// Before including: prologue.glsl (the x loads, XV), the weight buffer as WBUF (weights.glsl), and
// RED_SUBGROUP or RED_SHARED. With RED_SUBGROUP the lanes of a subgroup split K and the
// caller reduces acc with subgroupAdd; with RED_SHARED one invocation walks all of K.
#if defined(RED_SUBGROUP)
#extension GL_KHR_shader_subgroup_arithmetic : enable
#extension GL_KHR_shader_subgroup_basic : enable
#endif
// Rows per tile. The texel variant (CPU drivers, where prefill runs here rather than in the
// tiled kernels) takes it as specialization constant 0: 8 for prefill, so each weight block
// is dequantized once for eight rows, and 1 for decode (lavapipe runs both sides of a branch,
// so rows a tile does not have still cost their loads).
#if defined(RED_TEXEL)
layout(constant_id = 0) const uint R = 1u;
#else
const uint R = 1u;
#endif

#if defined(MATVEC_STAGED) && defined(XSWIZZLE)
#include "kq_units.glsl"
#endif

#if defined(MATVEC_STAGED) && !defined(XSWIZZLE)
// Pieces a lane takes at a time: 4 (H200, a Q4_K_M-style 1.1B file: tg128 529–534 with 4,
// 521–522 with 8, 497–501 with 16; docs/bench/h200-s19/c6).
const uint STAGED_PIECES = 4u;
// Piece c (values 8c … 8c+7) of column n times the staged row.
float stagedPiece(uint n, uint K, uint c) {
    uint kb = (c >> 2) * 32u, s = c & 3u;
    float w[8];
#if defined(W_F32) || defined(W_WHOLE)
    dequant8(n * K + kb, s, w);
#else
    decode8(raw8(n * K + kb, s), n * K + kb, s, w);
#endif
    float t = 0.0;
    [[unroll]] for (uint e = 0u; e < 8u; e++) t += w[e] * xst[XPAD(kb + 8u * s + e)];
    return t;
}
#endif

void rowDots(uint n, uint r0, uint nr, uint K, uint lane, uint lanes, inout float acc[R]) {
#if defined(MATVEC_STAGED) && defined(XSWIZZLE)
    if (rowStaged) {
        uint units = K >> 5;
        float t = 0.0;
        for (uint base = 0u; base < units; base += KQ_UNITS * lanes) {
            KqRaw r[KQ_UNITS];
            [[unroll]] for (uint i = 0u; i < KQ_UNITS; i++) {
                uint u = base + lane + i * lanes;
                if (u < units) r[i] = kqLoad(n, K, u);
            }
            [[unroll]] for (uint i = 0u; i < KQ_UNITS; i++) {
                uint u = base + lane + i * lanes;
                if (u < units) t += kqDot(r[i], n, K, u);
            }
        }
        acc[0] += t;
        return;
    }
#elif defined(MATVEC_STAGED)
    // The row in shared memory (prologue.glsl; R = 1): STAGED_PIECES pieces a lane at a
    // time, their weight loads issued together.
    if (rowStaged && (K & 31u) == 0u) {
        uint pieces = K / 8u;
        float t = 0.0;
        for (uint base = 0u; base < pieces; base += STAGED_PIECES * lanes) {
            [[unroll]] for (uint i = 0u; i < STAGED_PIECES; i++) {
                uint c = base + lane + i * lanes;
                if (c < pieces) t += stagedPiece(n, K, c);
            }
        }
        acc[0] += t;
        return;
    }
#endif
#if defined(RED_SUBGROUP)
    // Lanes take 8-value pieces of the blocks, so a subgroup keeps all its lanes busy on
    // short rows (K = 576 is 18 blocks but 72 pieces).
    if ((K & 31u) == 0u) {
        float w[8];
        for (uint c = lane; c < K / 8u; c += lanes) {
            uint kb = (c >> 2) * 32u, s = c & 3u;
            dequant8(n * K + kb, s, w);
            [[unroll]] for (uint j = 0u; j < R; j++) {
                if (j < nr) {
                    uint xo = (r0 + j) * K + kb + 8u * s;
                    float t = 0.0;
                    [[unroll]] for (uint i = 0u; i < 8u; i++) t += w[i] * XV(xo + i, j, kb + 8u * s + i);
                    acc[j] += t;
                }
            }
        }
        return;
    }
#endif
    if ((K & 31u) == 0u) {
        float w[32];
        for (uint kb = lane * 32u; kb < K; kb += lanes * 32u) {
            dequant32(n * K + kb, w);
            [[unroll]] for (uint j = 0u; j < R; j++) {
                if (j < nr) {
                    // Rows past the tile's (j ≥ nr) read its last row, unused: lavapipe runs
                    // both sides of the condition, and no texel fetch may leave x's view.
                    uint xo = (r0 + min(j, nr - 1u)) * K + kb;
                    float s = 0.0;
#if defined(X_VEC4)
                    // Without a prologue x is plain: four values per load.
                    [[unroll]] for (uint i = 0u; i < 8u; i++)
                        s += dot(vec4(w[4u * i], w[4u * i + 1u], w[4u * i + 2u], w[4u * i + 3u]), XS4((xo >> 2) + i));
#else
                    [[unroll]] for (uint i = 0u; i < 32u; i++) s += w[i] * XV(xo + i, j, kb + i);
#endif
                    acc[j] += s;
                }
            }
        }
    } else {
        for (uint k = lane; k < K; k += lanes) {
            float wv = loadW(n * K + k);
            [[unroll]] for (uint j = 0u; j < R; j++) if (j < nr) acc[j] += wv * XV((r0 + min(j, nr - 1u)) * K + k, j, k);
        }
    }
}

// Which columns this invocation (or subgroup) owns, and how lanes split K.
#if defined(RED_SUBGROUP)
#define COLUMN_SETUP(lane, lanes, first, stride) \
    uint lane = gl_SubgroupInvocationID, lanes = gl_SubgroupSize; \
    uint first = gl_WorkGroupID.x * gl_NumSubgroups + gl_SubgroupID, stride = gl_NumWorkGroups.x * gl_NumSubgroups;
#define REDUCE(acc) [[unroll]] for (uint j_ = 0u; j_ < R; j_++) acc[j_] = subgroupAdd(acc[j_]);
#define LEADER (gl_SubgroupInvocationID == 0u)
#else
#define COLUMN_SETUP(lane, lanes, first, stride) \
    uint lane = 0u, lanes = 1u; \
    uint first = gl_GlobalInvocationID.x, stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
#define REDUCE(acc)
#define LEADER true
#endif

// The products of columns na and nb (gate and up, a rotation pair) with the same rows: with a
// staged row, the two columns' pieces interleaved so that eight pieces' loads are in flight
// a lane, not four.
void rowDotsPair(uint na, uint nb, uint r0, uint nr, uint K, uint lane, uint lanes, inout float a[R], inout float b[R]) {
#if defined(MATVEC_STAGED) && defined(XSWIZZLE)
    if (rowStaged) {
        uint units = K >> 5;
        float ta = 0.0, tb = 0.0;
        for (uint base = 0u; base < units; base += KQ_UNITS * lanes) {
            KqRaw ra[KQ_UNITS], rb[KQ_UNITS];
            [[unroll]] for (uint i = 0u; i < KQ_UNITS; i++) {
                uint u = base + lane + i * lanes;
                if (u < units) { ra[i] = kqLoad(na, K, u); rb[i] = kqLoad(nb, K, u); }
            }
            [[unroll]] for (uint i = 0u; i < KQ_UNITS; i++) {
                uint u = base + lane + i * lanes;
                if (u < units) { ta += kqDot(ra[i], na, K, u); tb += kqDot(rb[i], nb, K, u); }
            }
        }
        a[0] += ta;
        b[0] += tb;
        return;
    }
#elif defined(MATVEC_STAGED)
    if (rowStaged && (K & 31u) == 0u) {
        uint pieces = K / 8u;
        float ta = 0.0, tb = 0.0;
        for (uint base = 0u; base < pieces; base += 4u * lanes) {
            [[unroll]] for (uint i = 0u; i < 4u; i++) {
                uint c = base + lane + i * lanes;
                if (c < pieces) { ta += stagedPiece(na, K, c); tb += stagedPiece(nb, K, c); }
            }
        }
        a[0] += ta;
        b[0] += tb;
        return;
    }
#endif
    rowDots(na, r0, nr, K, lane, lanes, a);
    rowDots(nb, r0, nr, K, lane, lanes, b);
}
