// GGUF's K-quant blocks of 256 values (W_Q4_K, W_Q6_K), decoded a value, an 8-value piece or
// a 32-value sub-block at a time, for weights.glsl (as Dequantize.swift does on the CPU).
// Q4_K (144 bytes, word-aligned): float16 d and dmin, twelve bytes packing eight 6-bit scales
// and mins, then 128 bytes of nibbles in four groups of 32 bytes: sub-block 2g the low nibbles
// of group g, 2g + 1 the high ones. A value is d·scale·q − dmin·min.
// Q6_K (210 bytes, 2-byte aligned): 128 bytes of low nibbles (ql), 64 of high bit pairs (qh),
// sixteen int8 scales (one per 16 values), float16 d. In each half of 128 values, quarter qq
// takes ql byte l + 32·(qq & 1) (its high nibble for qq ≥ 2) and bits 2·qq of qh byte l; a
// value is d·scale·(q − 32).
// Needs wbyte, wword, wf16 and WLOAD (weights.glsl).
#if defined(W_Q4_K)
// Sub-block j's scale and min, from the twelve bytes at o + 4 (o, a multiple of 144, is
// word-aligned): the three words loaded whatever j is, and the 6-bit fields picked with
// selects, so lanes on different sub-blocks take no divergent branch with loads in it.
void q4kScaleMin(uint o, uint j, out float sc, out float mn) {
    uint w = o >> 2, sh = 8u * (j & 3u);
    uint b1 = (WLOAD(w + 1u) >> sh) & 0xFFu, b2 = (WLOAD(w + 2u) >> sh) & 0xFFu, b3 = (WLOAD(w + 3u) >> sh) & 0xFFu;
    bool low = j < 4u;
    sc = float(low ? b1 & 63u : (b3 & 15u) | ((b1 >> 6) << 4));
    mn = float(low ? b2 & 63u : (b3 >> 4) | ((b2 >> 6) << 4));
}
// The byte offset of the nibbles, nibble shift and factors of the sub-block holding flat
// index i.
void q4kSub(uint i, out uint qs, out uint shift, out float dsc, out float dmn) {
    uint b = i >> 8, w = i & 255u, g = w >> 6, hi = (w >> 5) & 1u, o = b * 144u;
    vec2 dd = unpackHalf2x16(WLOAD(o >> 2));
    float sc, mn;
    q4kScaleMin(o, 2u * g + hi, sc, mn);
    dsc = dd.x * sc;
    dmn = dd.y * mn;
    qs = o + 16u + 32u * g;
    shift = 4u * hi;
}
float kqValue(uint i) {
    uint qs, shift; float dsc, dmn;
    q4kSub(i, qs, shift, dsc, dmn);
    return dsc * float((wbyte(qs + (i & 31u)) >> shift) & 15u) - dmn;
}
// Eight values from two words of nibbles.
void q4kDecode8(uint lo, uint hi, uint shift, float dsc, float dmn, out float w[8]) {
    [[unroll]] for (uint e = 0u; e < 4u; e++) {
        w[e] = dsc * float((lo >> (8u * e + shift)) & 15u) - dmn;
        w[e + 4u] = dsc * float((hi >> (8u * e + shift)) & 15u) - dmn;
    }
}
// Values 8·s … 8·s+7 of the 32-value sub-block starting at flat index i0.
void kqPiece(uint i0, uint s, out float w[8]) {
    uint qs, shift; float dsc, dmn;
    q4kSub(i0, qs, shift, dsc, dmn);
    q4kDecode8(WLOAD((qs >> 2) + 2u * s), WLOAD((qs >> 2) + 2u * s + 1u), shift, dsc, dmn, w);
}
// The 32 values of the sub-block starting at flat index i0 (its scale decoded once).
void kqBlock32(uint i0, out float w[32]) {
    uint qs, shift; float dsc, dmn;
    q4kSub(i0, qs, shift, dsc, dmn);
    [[unroll]] for (uint s = 0u; s < 4u; s++) {
        float p[8];
        q4kDecode8(WLOAD((qs >> 2) + 2u * s), WLOAD((qs >> 2) + 2u * s + 1u), shift, dsc, dmn, p);
        [[unroll]] for (uint e = 0u; e < 8u; e++) w[8u * s + e] = p[e];
    }
}
#else
// The block offset, d·scale of each 16-value half, and the byte offsets and shifts of the
// low nibbles and high bits of the 32 values of quarter qq of a half starting at flat i0.
void q6kSub(uint i0, out uint ql, out uint qh, out uint lshift, out uint hshift, out float d0, out float d1) {
    uint b = i0 >> 8, w = i0 & 255u, h = w >> 7, qq = (w >> 5) & 3u, o = b * 210u;
    // d and the two int8 scales: even offsets, each pair within one word (no branch on the
    // block's alignment).
    uint dw = o + 208u, sc = o + 192u + 8u * h + 2u * qq;
    float d = unpackHalf2x16(WLOAD(dw >> 2) >> (8u * (dw & 2u))).x;
    uint sw = WLOAD(sc >> 2) >> (8u * (sc & 2u));
    d0 = d * float(int(sw << 24) >> 24);
    d1 = d * float(int(sw << 16) >> 24);
    ql = o + 64u * h + 32u * (qq & 1u);
    qh = o + 128u + 32u * h;
    lshift = 4u * (qq >> 1);
    hshift = 2u * qq;
}
float kqValue(uint i) {
    uint ql, qh, ls, hs; float d0, d1;
    q6kSub(i & ~31u, ql, qh, ls, hs, d0, d1);
    uint l = i & 31u;
    uint q = ((wbyte(ql + l) >> ls) & 15u) | (((wbyte(qh + l) >> hs) & 3u) << 4);
    return (l < 16u ? d0 : d1) * float(int(q) - 32);
}
// Piece s (values 8·s … 8·s+7 of the quarter) with the quarter's offsets and factors.
// Two words of quants at an even byte offset (the blocks are 210 bytes: every other one is
// 2 mod 4), from three aligned loads made either way: no branch on the alignment.
uvec2 q6kWords(uint off) {
    uint i = off >> 2, a = WLOAD(i), b = WLOAD(i + 1u), c = WLOAD(i + 2u);
    return (off & 2u) == 0u ? uvec2(a, b) : uvec2((a >> 16) | (b << 16), (b >> 16) | (c << 16));
}
void q6kDecode8(uint ql, uint qh, uint ls, uint hs, float d, uint s, out float w[8]) {
    uvec2 l = q6kWords(ql + 8u * s), h = q6kWords(qh + 8u * s);
    uint l0 = l.x, l1 = l.y, h0 = h.x, h1 = h.y;
    [[unroll]] for (uint e = 0u; e < 4u; e++) {
        uint a = ((l0 >> (8u * e + ls)) & 15u) | (((h0 >> (8u * e + hs)) & 3u) << 4);
        uint c = ((l1 >> (8u * e + ls)) & 15u) | (((h1 >> (8u * e + hs)) & 3u) << 4);
        w[e] = d * float(int(a) - 32);
        w[e + 4u] = d * float(int(c) - 32);
    }
}
void kqPiece(uint i0, uint s, out float w[8]) {
    uint ql, qh, ls, hs; float d0, d1;
    q6kSub(i0, ql, qh, ls, hs, d0, d1);
    q6kDecode8(ql, qh, ls, hs, s < 2u ? d0 : d1, s, w);
}
void kqBlock32(uint i0, out float w[32]) {
    uint ql, qh, ls, hs; float d0, d1;
    q6kSub(i0, ql, qh, ls, hs, d0, d1);
    [[unroll]] for (uint s = 0u; s < 4u; s++) {
        float p[8];
        q6kDecode8(ql, qh, ls, hs, s < 2u ? d0 : d1, s, p);
        [[unroll]] for (uint e = 0u; e < 8u; e++) w[8u * s + e] = p[e];
    }
}
#endif
