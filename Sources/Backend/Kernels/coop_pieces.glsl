// What matmul_coop.comp stages a step: 16 consecutive values of a weight row (a Piece16, its
// raw words, loaded apart from their decoding so that the loads are in flight while the
// subgroups multiply) and of an input row, as float16 pairs. Needs tile_io.glsl.
#if defined(W_Q4_K)
// q4_k: the block's 16-byte header (d, dmin, the twelve scale bytes) and the 16 bytes of
// nibbles that hold the piece (values 16h … 16h + 15 of sub-block 2g or 2g + 1): two aligned
// 16-byte loads for 16 values (144-byte blocks: every header and 16 bytes of nibbles is one).
layout(std430, binding = 2) readonly buffer Wt4 { uvec4 wdata4[]; };
#endif
#if defined(W_Q6_K)
// q6_k (210-byte blocks, 2-byte aligned): the 16 bytes of low nibbles and the 16 bytes of
// high bit pairs that hold the piece (values l0 … l0 + 15 of one 32-value quarter), each as
// the five aligned words around it (a: words 0–3, e.x word 4; b and e.y likewise), the word
// holding its int8 scale (e.z) and the one holding d (e.w): twelve loads for 16 values.
struct Piece16 { uvec4 a; uvec4 b; uvec4 e; };
#else
struct Piece16 { uvec4 a; uvec4 b; };
#endif

uvec4 halves8(float w[8]) {
    return uvec4(packHalf2x16(vec2(w[0], w[1])), packHalf2x16(vec2(w[2], w[3])),
                 packHalf2x16(vec2(w[4], w[5])), packHalf2x16(vec2(w[6], w[7])));
}

// The words of values k … k + 15 of weight row n (k a multiple of 16); zeros (which decode
// to zeros) where ok is false.
Piece16 weightPiece(bool ok, uint n, uint K, uint k) {
#if defined(W_Q6_K)
    if (!ok) return Piece16(uvec4(0u), uvec4(0u), uvec4(0u));
    uint o = (n * (K >> 8) + (k >> 8)) * 210u, w = k & 255u, h = w >> 7, q = (w >> 5) & 3u, l0 = w & 16u;
    uint ql = (o + 64u * h + 32u * (q & 1u) + l0) >> 2, qh = (o + 128u + 32u * h + l0) >> 2;
    uint so = o + 192u + 8u * h + 2u * q + (l0 >> 4);
    return Piece16(uvec4(WLOAD(ql), WLOAD(ql + 1u), WLOAD(ql + 2u), WLOAD(ql + 3u)),
                   uvec4(WLOAD(qh), WLOAD(qh + 1u), WLOAD(qh + 2u), WLOAD(qh + 3u)),
                   uvec4(WLOAD(ql + 4u), WLOAD(qh + 4u), WLOAD(so >> 2), WLOAD((o + 208u) >> 2)));
#else
    if (!ok) return Piece16(uvec4(0u), uvec4(0u));
#if defined(W_Q4_K)
    uint o4 = (n * (K >> 8) + (k >> 8)) * 9u, w = k & 255u;
    return Piece16(wdata4[o4], wdata4[o4 + 1u + 2u * (w >> 6) + ((w >> 4) & 1u)]);
#elif !defined(W_F32) && !defined(W_WHOLE)
    uint i0 = n * K + (k & ~31u), p = (k >> 3) & 3u;
    return Piece16(raw8(i0, p), raw8(i0, p + 1u));
#else
    // Formats without a raw form (float32, q5_0, q5_1): decoded here, as float16 pairs.
    uint i0 = n * K + (k & ~31u), p = (k >> 3) & 3u;
    float w0[8], w1[8];
    dequant8(i0, p, w0);
    dequant8(i0, p + 1u, w1);
    return Piece16(halves8(w0), halves8(w1));
#endif
#endif
}

// The piece as float16 pairs, in order (h[0] values 0–7, h[1] 8–15).
void weightHalves(Piece16 r, uint n, uint K, uint k, out uvec4 h[2]) {
#if defined(W_Q4_K)
    uint w = k & 255u, j = ((w >> 6) << 1) | ((w >> 5) & 1u), sh = 8u * (j & 3u);
    uint b1 = (r.a.y >> sh) & 0xFFu, b2 = (r.a.z >> sh) & 0xFFu, b3 = (r.a.w >> sh) & 0xFFu;
    bool low = j < 4u;
    float sc = float(low ? b1 & 63u : (b3 & 15u) | ((b1 >> 6) << 4));
    float mn = float(low ? b2 & 63u : (b3 >> 4) | ((b2 >> 6) << 4));
    vec2 dd = unpackHalf2x16(r.a.x);
    float dsc = dd.x * sc, dmn = dd.y * mn;
    uint shift = 4u * ((w >> 5) & 1u);
    float v[16];
    [[unroll]] for (uint i = 0u; i < 4u; i++) {
        uint q = r.b[i] >> shift;
        [[unroll]] for (uint b = 0u; b < 4u; b++) v[4u * i + b] = dsc * float((q >> (8u * b)) & 15u) - dmn;
    }
    float w0[8], w1[8];
    [[unroll]] for (uint i = 0u; i < 8u; i++) { w0[i] = v[i]; w1[i] = v[i + 8u]; }
    h[0] = halves8(w0); h[1] = halves8(w1);
#elif defined(W_Q6_K)
    // Every run starts at the block's parity: shifted by 16 bits where it is odd.
    uint o = (n * (K >> 8) + (k >> 8)) * 210u, w = k & 255u, hf = w >> 7, q = (w >> 5) & 3u, l0 = w & 16u;
    uint so = o + 192u + 8u * hf + 2u * q + (l0 >> 4);
    bool odd = (o & 2u) != 0u;
    uvec4 ql = odd ? (r.a >> 16) | (uvec4(r.a.yzw, r.e.x) << 16) : r.a;
    uvec4 qh = odd ? (r.b >> 16) | (uvec4(r.b.yzw, r.e.y) << 16) : r.b;
    float d = unpackHalf2x16(odd ? r.e.w >> 16 : r.e.w).x * float(int(r.e.z << (24u - 8u * (so & 3u))) >> 24);
    uint ns = 4u * (q >> 1), hs = 2u * q;
    float v[16];
    [[unroll]] for (uint i = 0u; i < 4u; i++) {
        uint qq = ((ql[i] >> ns) & 0x0F0F0F0Fu) | (((qh[i] >> hs) & 0x03030303u) << 4);
        [[unroll]] for (uint b = 0u; b < 4u; b++) v[4u * i + b] = d * (float((qq >> (8u * b)) & 0xFFu) - 32.0);
    }
    float w0[8], w1[8];
    [[unroll]] for (uint i = 0u; i < 8u; i++) { w0[i] = v[i]; w1[i] = v[i + 8u]; }
    h[0] = halves8(w0); h[1] = halves8(w1);
#elif !defined(W_F32) && !defined(W_WHOLE)
    uint i0 = n * K + (k & ~31u), p = (k >> 3) & 3u;
    float w0[8], w1[8];
    decode8(r.a, i0, p, w0);
    decode8(r.b, i0, p + 1u, w1);
    h[0] = halves8(w0); h[1] = halves8(w1);
#else
    h[0] = r.a; h[1] = r.b;
#endif
}

// Values k … k + 15 of input row r (zeros where ok is false): XPN pieces, which xHalves turns
// into two words of eight float16 values. X16: the rows are float16 already (half_rows.comp),
// two 16-byte loads; else four float32 ones, rounded here.
#if defined(X16)
layout(std430, binding = 1) readonly buffer XH { uvec4 xh4[]; };
#define XPIECE uvec4
#define XPN 2u
void inputPiece(bool ok, uint r, uint K, uint k, out uvec4 x[2]) {
    uint b = (r * K + k) >> 3;
    [[unroll]] for (uint i = 0u; i < 2u; i++) x[i] = ok ? xh4[b + i] : uvec4(0u);
}
uvec4 xHalves(uvec4 x[2], uint h) { return x[h]; }
#else
#define XPIECE vec4
#define XPN 4u
void inputPiece(bool ok, uint r, uint K, uint k, out vec4 x[4]) {
    uint b = (r * K + k) >> 2;
    [[unroll]] for (uint i = 0u; i < 4u; i++) x[i] = ok ? xs4[b + i] : vec4(0.0);
}
uvec4 xHalves(vec4 x[4], uint h) { return packHalves(x[2u * h], x[2u * h + 1u]); }
#endif
