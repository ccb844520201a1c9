// K-quant units (matvec.glsl's staged rows, wide_product.glsl): needs kq_layout.glsl's
// staged row (xst4), weights.glsl and, for q4_k, matrix_weights.glsl's wdata4.
// K-quants with a staged row (kq_layout.glsl's XSLOT): unit u of a column is 32 values of one
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
float kqDot(KqRaw r, uint n, uint K, uint u) {
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
float kqDot(KqRaw r, uint n, uint K, uint u) {
    // (The block's offset in the tensor: rows of an odd number of blocks start at either parity.)
    uint o = (n * (K >> 8) + (u >> 3)) * 210u, h = (u >> 2) & 1u, m = u & 3u;
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
