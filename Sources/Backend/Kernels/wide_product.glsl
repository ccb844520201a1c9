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
#if defined(W_Q8_0) && !defined(RED_TEXEL)
// q8_0 (GPUWeightLayout's groups): each lane takes 16 quants of a block in one 16-byte load,
// and reads the row's 16 values as four vec4s from shared memory. Value k is stored at
// k + 4·(k/32), so the eight lanes of a 128-byte shared-memory access (consecutive halves of
// blocks, 64 bytes apart unpadded) fall on different banks.
#define WIDE_Q8 1
#define XS(k) ((k) + 4u * ((k) >> 5))
layout(std430, binding = B0) readonly buffer Wt4 { uvec4 wdata4[]; };
shared float xsh[XMAX + XMAX / 8u];
#else
#define XS(k) (k)
shared float xsh[XMAX];
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
                xsh[XS(k)] = v[i];
                s += v[i] * v[i];
            }
        }
    }
#if defined(NORM_RMS) || defined(NORM_ADDRMS)
    float inv = inversesqrt(wgSum(s) / float(K) + pc.eps);
    for (uint k = t; k < K; k += WG) xsh[XS(k)] *= inv * nws[k];
#endif
    barrier();
}

// The first group of CPS columns this subgroup computes, and the stride between its groups.
uint wideFirst() { return (gl_WorkGroupID.x * gl_NumSubgroups + gl_SubgroupID) * CPS; }
uint wideStride() { return gl_NumWorkGroups.x * gl_NumSubgroups * CPS; }

// The dot products of columns n0 ..< n0 + CPS (those below N) with the staged row, summed
// over the subgroup (every lane holds them).
#if defined(WIDE_Q8)
// The CPS columns' halves of blocks (16 values each) spread over the lanes, a column's halves
// consecutive, every load of a step issued before any is used.
void wideColumns(uint n0, out float dots[CPS]) {
    uint K = pc.K, N = pc.N, lane = gl_SubgroupInvocationID, lanes = gl_SubgroupSize, halves = K / 16u, items = CPS * halves;
    float acc[CPS];
    [[unroll]] for (uint j = 0u; j < CPS; j++) acc[j] = 0.0;
    for (uint base = 0u; base < items; base += 4u * lanes) {
        uvec4 q[4];
        uint sw[4];
        [[unroll]] for (uint i = 0u; i < 4u; i++) {
            uint t = base + lane + i * lanes, j = t / halves, h = t - j * halves;
            uint b = (n0 + j) * (K >> 5) + (h >> 1);
            q[i] = uvec4(0u);
            sw[i] = 0u;
            if (t < items && n0 + j < N) {
                q[i] = wdata4[(q8Quants(b) >> 2) + (h & 1u)];
                sw[i] = WLOAD(q8ScaleWord(b));
            }
        }
        [[unroll]] for (uint i = 0u; i < 4u; i++) {
            uint t = base + lane + i * lanes, j = t / halves, h = t - j * halves;
            uint k = XS(16u * h);
            float s = 0.0;
            [[unroll]] for (uint e = 0u; e < 4u; e++) {
                vec4 x = vec4(xsh[k + 4u * e], xsh[k + 4u * e + 1u], xsh[k + 4u * e + 2u], xsh[k + 4u * e + 3u]);
                s += dot(vec4(q8Byte(q[i][e], 0u), q8Byte(q[i][e], 1u), q8Byte(q[i][e], 2u), q8Byte(q[i][e], 3u)), x);
            }
            s *= q8Scale(sw[i], (n0 + j) * (K >> 5) + (h >> 1));
            [[unroll]] for (uint c = 0u; c < CPS; c++) acc[c] += c == j ? s : 0.0;
        }
    }
    [[unroll]] for (uint j = 0u; j < CPS; j++) dots[j] = subgroupAdd(acc[j]);
}
#else
void wideColumns(uint n0, out float dots[CPS]) {
    uint K = pc.K, N = pc.N, lane = gl_SubgroupInvocationID, lanes = gl_SubgroupSize, pieces = K / 8u;
    float acc[CPS];
    [[unroll]] for (uint j = 0u; j < CPS; j++) acc[j] = 0.0;
    for (uint base = 0u; base < pieces; base += 4u * lanes) {
        [[unroll]] for (uint i = 0u; i < 4u; i++) {
            uint c = base + lane + i * lanes;
            uint kb = (c >> 2) * 32u, q = c & 3u;
            [[unroll]] for (uint j = 0u; j < CPS; j++) {
                if (c < pieces && n0 + j < N) {
                    float w[8];
#if defined(W_F32)
                    dequant8((n0 + j) * K + kb, q, w);
#else
                    // raw8's loads take no branch on the block's alignment (dequant8's
                    // do, for the 34- and 18-byte blocks), so lanes of blocks of either
                    // parity issue them together.
                    decode8(raw8((n0 + j) * K + kb, q), (n0 + j) * K + kb, q, w);
#endif
                    [[unroll]] for (uint e = 0u; e < 8u; e++) acc[j] += w[e] * xsh[XS(kb + 8u * q + e)];
                }
            }
        }
    }
    [[unroll]] for (uint j = 0u; j < CPS; j++) dots[j] = subgroupAdd(acc[j]);
}
#endif
