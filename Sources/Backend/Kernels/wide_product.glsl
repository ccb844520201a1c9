// One row times very many columns (an LM head), 256 invocations a workgroup: the shared
// parts of matmul_wide.comp and head_chain.comp. The row is staged (normalized, with the
// prologue's residual sum written out by workgroup 0) in shared memory once, eight loads in
// flight per invocation; then each subgroup takes CPS columns at a time, its lanes splitting
// K in 8-value pieces, every weight load of a step issued before any is used, striding over
// the groups of CPS columns by the grid's subgroup count. K must be a multiple of 32 and at
// most XMAX.
// Before including: xs[] (and x2s[], nws[], sums[] with the prologues), the weights
// (matrix_weights.glsl, weights.glsl), pc.K, pc.N, pc.eps, WG and the reduction helpers.

const uint XMAX = 4096u;
// Columns a subgroup computes at a time.
const uint CPS = 4u;
#if defined(W_Q4_K) || defined(W_Q6_K)
// K-quants: the row staged for kq_units.glsl (32 values a lane from two q4_k loads or 13
// q6_k words, where dequant8 takes six or eight loads for 8), times the norm weight; the
// inverse RMS scales the dot products (wideScale, written once the row is staged).
#define KQ_STAGE XMAX
#include "kq_layout.glsl"
#include "kq_units.glsl"
shared float wideScale;
#define XSH_SET(k, v) xstSet(k, v)
#else
shared float xsh[XMAX];
#define XSH_SET(k, v) xsh[k] = v
#endif

void wideStageRow() {
    uint t = gl_LocalInvocationID.x, K = pc.K;
    float s = 0.0;
    for (uint k0 = t; k0 < K; k0 += 8u * WG) {
        float v[8];
        [[unroll]] for (uint i = 0u; i < 8u; i++) {
            uint k = min(k0 + i * WG, K - 1u);
#if defined(NORM_ADDRMS)
            v[i] = xs[k] + x2s[k];
#else
            v[i] = xs[k];
#endif
        }
        [[unroll]] for (uint i = 0u; i < 8u; i++) {
            uint k = k0 + i * WG;
            if (k < K) {
#if defined(NORM_ADDRMS)
                if (gl_WorkGroupID.x == 0u) sums[k] = v[i];
#endif
#if defined(XSWIZZLE) && (defined(NORM_RMS) || defined(NORM_ADDRMS))
                XSH_SET(k, v[i] * nws[k]);
#else
                XSH_SET(k, v[i]);
#endif
                s += v[i] * v[i];
            }
        }
    }
#if defined(XSWIZZLE)
#if defined(NORM_RMS) || defined(NORM_ADDRMS)
    float inv = inversesqrt(wgSum(s) / float(K) + pc.eps);
    if (t == 0u) wideScale = inv;
#else
    if (t == 0u) wideScale = 1.0;
#endif
    barrier();
#else
#if defined(NORM_RMS) || defined(NORM_ADDRMS)
    float inv = inversesqrt(wgSum(s) / float(K) + pc.eps);
    for (uint k = t; k < K; k += WG) xsh[k] *= inv * nws[k];
#endif
    barrier();
#endif
}

// The first group of CPS columns this subgroup computes, and the stride between its groups.
uint wideFirst() { return (gl_WorkGroupID.x * gl_NumSubgroups + gl_SubgroupID) * CPS; }
uint wideStride() { return gl_NumWorkGroups.x * gl_NumSubgroups * CPS; }

// The dot products of columns n0 ..< n0 + CPS (those below N) with the staged row, summed
// over the subgroup (every lane holds them).
void wideColumns(uint n0, out float dots[CPS]) {
    uint K = pc.K, N = pc.N, lane = gl_SubgroupInvocationID, lanes = gl_SubgroupSize, pieces = K / 8u;
    float acc[CPS];
    [[unroll]] for (uint j = 0u; j < CPS; j++) acc[j] = 0.0;
#if defined(XSWIZZLE)
    // K-quants: units of 32 values (K is whole 256-value blocks), every column's loads of a
    // round issued before any is used.
    uint units = K >> 5;
    for (uint base = 0u; base < units; base += lanes) {
        uint u = base + lane;
        KqRaw r[CPS];
        [[unroll]] for (uint j = 0u; j < CPS; j++) if (u < units && n0 + j < N) r[j] = kqLoad(n0 + j, K, u);
        [[unroll]] for (uint j = 0u; j < CPS; j++) if (u < units && n0 + j < N) acc[j] += kqDot(r[j], n0 + j, K, u);
    }
    [[unroll]] for (uint j = 0u; j < CPS; j++) dots[j] = subgroupAdd(acc[j]) * wideScale;
#else
    for (uint base = 0u; base < pieces; base += 4u * lanes) {
        [[unroll]] for (uint i = 0u; i < 4u; i++) {
            uint c = base + lane + i * lanes;
            uint kb = (c >> 2) * 32u, q = c & 3u;
            [[unroll]] for (uint j = 0u; j < CPS; j++) {
                if (c < pieces && n0 + j < N) {
                    float w[8];
#if defined(W_F32) || defined(W_WHOLE)
                    dequant8((n0 + j) * K + kb, q, w);
#else
                    // raw8's loads take no branch on the block's alignment (dequant8's
                    // do, for the 34- and 18-byte blocks), so lanes of blocks of either
                    // parity issue them together.
                    decode8(raw8((n0 + j) * K + kb, q), (n0 + j) * K + kb, q, w);
#endif
                    [[unroll]] for (uint e = 0u; e < 8u; e++) acc[j] += w[e] * xsh[kb + 8u * q + e];
                }
            }
        }
    }
    [[unroll]] for (uint j = 0u; j < CPS; j++) dots[j] = subgroupAdd(acc[j]);
#endif
}
