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
// K-quants with a staged row (prologue.glsl's XSLOT): unit u of a column is 32 values of one
// 256-value block, the block's unit u & 7, whose x a lane reads as 8 vec4s. A unit's words
// are loaded (kqLoad) apart from their use (kqDot): a round's loads are all issued first.
#if defined(W_Q4_K)
// q4_k: 16 bytes of nibbles (16 values of sub-block 2g, the same 16 of 2g + 1; g = l / 2)
// and the block's header (d, dmin, the twelve scale bytes): two aligned 16-byte loads, where
// 8-value pieces take six loads for 8 values.
struct KqRaw { uvec4 h; uvec4 q; };
KqRaw kqLoad(uint n, uint K, uint u) {
    uint o4 = (n * (K >> 8) + (u >> 3)) * 9u;
    return KqRaw(wdata4[o4], wdata4[o4 + 1u + (u & 7u)]);
}
float kqDot(KqRaw r, uint u) {
    uint l = u & 7u, g = l >> 1;
    uvec4 hd = r.h;
    // The scales and mins of sub-blocks 2g and 2g + 1 (kquants.glsl's q4kScaleMin).
    uint s0 = 16u * (g & 1u), s1 = s0 + 8u;
    bool low = g < 2u;
    float sc0 = float(low ? (hd.y >> s0) & 63u : ((hd.w >> s0) & 15u) | (((hd.y >> s0) >> 6) & 3u) << 4);
    float mn0 = float(low ? (hd.z >> s0) & 63u : ((hd.w >> s0) >> 4 & 15u) | (((hd.z >> s0) >> 6) & 3u) << 4);
    float sc1 = float(low ? (hd.y >> s1) & 63u : ((hd.w >> s1) & 15u) | (((hd.y >> s1) >> 6) & 3u) << 4);
    float mn1 = float(low ? (hd.z >> s1) & 63u : ((hd.w >> s1) >> 4 & 15u) | (((hd.z >> s1) >> 6) & 3u) << 4);
    uint xb = (u >> 3) * 64u + l;
    float d0 = 0.0, d1 = 0.0, x0 = 0.0, x1 = 0.0;
    [[unroll]] for (uint c = 0u; c < 4u; c++) {
        vec4 xl = xst4[xb + 8u * c], xh = xst4[xb + 8u * c + 32u];
        uint w = r.q[c];
        d0 += dot(vec4(uvec4(w, w >> 8, w >> 16, w >> 24) & 15u), xl);
        d1 += dot(vec4(uvec4(w >> 4, w >> 12, w >> 20, w >> 28) & 15u), xh);
        x0 += (xl.x + xl.y) + (xl.z + xl.w);
        x1 += (xh.x + xh.y) + (xh.z + xh.w);
    }
    vec2 dd = unpackHalf2x16(hd.x);
    return dd.x * (sc0 * d0 + sc1 * d1) - dd.y * (mn0 * x0 + mn1 * x1);
}
#else
// q6_k (210-byte blocks, 2-byte aligned): unit r = 4h + m is values 8m … 8m + 7 of each of
// the four 32-value quarters of half h: 8 bytes of low nibbles for quarters 0 and 2, 8 for 1
// and 3, 8 bytes of high bit pairs, four int8 scales and d — 13 aligned word loads for 32
// values (the 8-value pieces take 8 for 8). Each run of bytes is loaded as the aligned words
// that hold it and shifted into place after.
struct KqRaw { uvec3 a; uvec3 b; uvec3 hq; uvec3 sc; uint d; };
uvec3 kqWords3(uint off) { uint i = off >> 2; return uvec3(WLOAD(i), WLOAD(i + 1u), WLOAD(i + 2u)); }
KqRaw kqLoad(uint n, uint K, uint u) {
    uint o = (n * (K >> 8) + (u >> 3)) * 210u, h = (u >> 2) & 1u, m = u & 3u;
    uint a = o + 64u * h + 8u * m;
    return KqRaw(kqWords3(a), kqWords3(a + 32u), kqWords3(o + 128u + 32u * h + 8u * m),
                 kqWords3(o + 192u + 8u * h + (m >> 1)), WLOAD((o + 208u) >> 2));
}
// Words 0 and 1 of w shifted right by s bits (s < 32).
uvec2 kqShift(uvec3 w, uint s) { return s == 0u ? w.xy : uvec2((w.x >> s) | (w.y << (32u - s)), (w.y >> s) | (w.z << (32u - s))); }
float kqDot(KqRaw r, uint u) {
    uint o = (u >> 3) * 210u, h = (u >> 2) & 1u, m = u & 3u;
    // a, b and hq start at o's parity (16 bits of shift or none); the scales at any byte.
    uint s = 8u * (o & 2u);
    uvec2 a = kqShift(r.a, s), b = kqShift(r.b, s), hq = kqShift(r.hq, s);
    uvec2 sw = kqShift(r.sc, 8u * ((o + 192u + 8u * h + (m >> 1)) & 3u));
    float d = unpackHalf2x16(r.d >> (8u * ((o + 208u) & 2u))).x;
    uint xb = (u >> 3) * 64u + (u & 7u);
    float t = 0.0;
    [[unroll]] for (uint qq = 0u; qq < 4u; qq++) {
        float tq = 0.0;
        [[unroll]] for (uint c = 0u; c < 2u; c++) {
            uint src = (qq & 1u) == 0u ? a[c] : b[c];
            uint q = ((src >> (4u * (qq >> 1))) & 0x0F0F0F0Fu) | (((hq[c] >> (2u * qq)) & 0x03030303u) << 4);
            tq += dot(vec4(uvec4(q, q >> 8, q >> 16, q >> 24) & 0xFFu) - 32.0, xst4[xb + 8u * (2u * qq + c)]);
        }
        uint sb = (qq < 2u ? sw.x : sw.y) >> (16u * (qq & 1u));
        t += float(int(sb << 24) >> 24) * tq;
    }
    return d * t;
}
#endif
// Units a lane takes at a time (their words in registers: q6_k's are 13). (Loading a
// workgroup's first units before its prologue, held across it: 128 registers and spills for
// q4_k's gate/up, TinyLlama Q4_K_M-style tg128 662 against 680; docs/bench/h200-s20/c2.)
#if defined(W_Q4_K)
const uint KQ_UNITS = 4u;
#else
const uint KQ_UNITS = 2u;
#endif
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
                if (u < units) t += kqDot(r[i], u);
            }
        }
        acc[0] += t * XSCALE;
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
        acc[0] += t * XSCALE;
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
                if (u < units) { ta += kqDot(ra[i], u); tb += kqDot(rb[i], u); }
            }
        }
        a[0] += ta * XSCALE;
        b[0] += tb * XSCALE;
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
        a[0] += ta * XSCALE;
        b[0] += tb * XSCALE;
        return;
    }
#endif
    rowDots(na, r0, nr, K, lane, lanes, a);
    rowDots(nb, r0, nr, K, lane, lanes, b);
}
