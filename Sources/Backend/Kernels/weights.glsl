// Element access to a weight tensor stored in GGUF's layout, dequantized on the fly.
// Before including, declare the buffer as `uint WNAME[]` and `#define WBUF WNAME` (or define
// WLOAD(i), word i of the weight, for another kind of binding); the variant define W_F32 /
// W_F16 / W_BF16 / W_Q4_0 / W_Q4_1 / W_Q5_0 / W_Q5_1 / W_Q8_0 / W_Q4_K / W_Q6_K picks the format
// (the K-quants: kquants.glsl). W_WHOLE: the formats without raw8 / decode8 (a piece's loads
// apart from its decoding), the K-quants and q5_0 / q5_1 (whose pieces span more than four
// words); kernels that split them decode with dequant8.
#if !defined(WLOAD)
#define WLOAD(i) WBUF[i]
#endif

uint wbyte(uint off) { return (WLOAD(off >> 2) >> ((off & 3u) * 8u)) & 0xFFu; }
uint wu16(uint off) {
    if ((off & 1u) == 0u) return (WLOAD(off >> 2) >> ((off & 2u) * 8u)) & 0xFFFFu;
    return wbyte(off) | (wbyte(off + 1u) << 8);
}
// Four bytes starting at any byte offset.
uint wword(uint off) {
    uint i = off >> 2, sh = (off & 3u) * 8u;
    if (sh == 0u) return WLOAD(i);
    return (WLOAD(i) >> sh) | (WLOAD(i + 1u) << (32u - sh));
}
float wf16(uint off) { return unpackHalf2x16(wu16(off)).x; }

#if defined(W_Q4_K) || defined(W_Q6_K)
#define W_KQUANT 1
#include "kquants.glsl"
#endif
#if defined(W_KQUANT) || defined(W_Q5_0) || defined(W_Q5_1)
#define W_WHOLE 1
#endif

#if defined(W_Q5_0) || defined(W_Q5_1)
// 5-bit blocks of 32: q5_0 (22 bytes: float16 d, the 32 high bits qh, 16 bytes of nibbles as
// q4_0's) holds (q − 16)·d, q5_1 (24 bytes: d and m, qh, nibbles) q·d + m; bit j of qh is
// value j's fifth bit. The factors (m = −16·d for q5_0), qh and the nibbles' byte offset of
// the block holding flat index i0.
void q5Header(uint i0, out float d, out float m, out uint qh, out uint qs) {
#if defined(W_Q5_0)
    uint o = (i0 >> 5) * 22u; d = wf16(o); m = -16.0 * d; qh = wword(o + 2u); qs = o + 6u;
#else
    uint o = (i0 >> 5) * 24u; vec2 dm = unpackHalf2x16(WLOAD(o >> 2)); d = dm.x; m = dm.y; qh = WLOAD((o >> 2) + 1u); qs = o + 8u;
#endif
}
#endif

// Value i of the flattened tensor.
float loadW(uint i) {
#if defined(W_F32)
    return uintBitsToFloat(WLOAD(i));
#elif defined(W_F16)
    return wf16(2u * i);
#elif defined(W_BF16)
    return uintBitsToFloat(wu16(2u * i) << 16);
#elif defined(W_Q4_0)
    uint b = i >> 5, j = i & 31u, o = b * 18u;
    uint byte = wbyte(o + 2u + (j & 15u));
    uint q = j < 16u ? (byte & 15u) : (byte >> 4);
    return (float(q) - 8.0) * wf16(o);
#elif defined(W_Q4_1)
    uint b = i >> 5, j = i & 31u, o = b * 20u;
    uint byte = wbyte(o + 4u + (j & 15u));
    uint q = j < 16u ? (byte & 15u) : (byte >> 4);
    return float(q) * wf16(o) + wf16(o + 2u);
#elif defined(W_Q5_0) || defined(W_Q5_1)
    uint j = i & 31u, qh, qs; float d, m;
    q5Header(i, d, m, qh, qs);
    uint byte = wbyte(qs + (j & 15u));
    uint q = (j < 16u ? byte & 15u : byte >> 4) | (((qh >> j) & 1u) << 4);
    return float(q) * d + m;
#elif defined(W_Q8_0)
    uint b = i >> 5, j = i & 31u, o = b * 34u;
    int q = int(wbyte(o + 2u + j));
    return float(q >= 128 ? q - 256 : q) * wf16(o);
#elif defined(W_KQUANT)
    return kqValue(i);
#else
#error "no weight type"
#endif
}

#if defined(W_Q4_0) || defined(W_Q4_1)
// Scale, offset (value = q·d + m) and the byte offset of the nibbles of the 4-bit block
// holding flat index i0.
void q4Header(uint i0, out float d, out float m, out uint qs) {
#if defined(W_Q4_0)
    uint o = (i0 >> 5) * 18u; d = wf16(o); m = -8.0 * d; qs = o + 2u;
#else
    // 20-byte blocks: the header is one aligned word (two halves).
    uint o = (i0 >> 5) * 20u; vec2 dm = unpackHalf2x16(WLOAD(o >> 2)); d = dm.x; m = dm.y; qs = o + 4u;
#endif
}
#endif

#if defined(RED_TEXEL) && (defined(W_Q4_0) || defined(W_Q8_0))
#if defined(W_Q4_0)
const uint NQ = 4u;
#else
const uint NQ = 8u;
#endif
// The texel variant reads a block (a 2-byte scale and NQ words of quants at the even byte
// offset o) as NQ + 1 aligned words put in place with selects: lavapipe runs both sides of
// a branch, so wword's aligned shortcut would cost three fetches a word.
void texelBlock(uint o, out float d, out uint q[NQ]) {
    uint a = o >> 2;
    bool aligned = (o & 2u) == 0u;
    uint w[NQ + 1u];
    [[unroll]] for (uint i = 0u; i <= NQ; i++) w[i] = WLOAD(a + i);
    d = unpackHalf2x16(aligned ? w[0] : w[0] >> 16).x;
    [[unroll]] for (uint i = 0u; i < NQ; i++) q[i] = aligned ? (w[i] >> 16) | (w[i + 1u] << 16) : w[i + 1u];
}
#endif

// The 32 consecutive weights starting at flat index i0 (a multiple of 32), with one block
// header read for quantized types.
void dequant32(uint i0, out float w[32]) {
#if defined(W_Q4_0) || defined(W_Q4_1)
    // QWORD(j): the word of nibbles that holds values j … j+3 and j+16 … j+19.
    float d, m;
#if defined(RED_TEXEL) && defined(W_Q4_0)
    uint q[NQ];
    texelBlock((i0 >> 5) * 18u, d, q);
    m = -8.0 * d;
#define QWORD(j) q[(j) >> 2]
#else
    uint qs;
    q4Header(i0, d, m, qs);
#if defined(W_Q4_1)
#define QWORD(j) WLOAD((qs + (j)) >> 2)   // 4-byte aligned in 20-byte blocks
#else
#define QWORD(j) wword(qs + (j))
#endif
#endif
    [[unroll]] for (uint j = 0u; j < 16u; j += 4u) {
        uint word = QWORD(j);
        [[unroll]] for (uint b = 0u; b < 4u; b++) {
            uint byte = (word >> (8u * b)) & 0xFFu;
            w[j + b] = float(byte & 15u) * d + m;
            w[j + b + 16u] = float(byte >> 4) * d + m;
        }
    }
#elif defined(W_Q8_0)
    // QWORD(j): the word that holds values j … j+3.
    float d;
#if defined(RED_TEXEL)
    uint q[NQ];
    texelBlock((i0 >> 5) * 34u, d, q);
#define QWORD(j) q[(j) >> 2]
#else
    uint o = (i0 >> 5) * 34u;
    d = wf16(o);
#define QWORD(j) wword(o + 2u + (j))
#endif
    [[unroll]] for (uint j = 0u; j < 32u; j += 4u) {
        uint word = QWORD(j);
        [[unroll]] for (uint b = 0u; b < 4u; b++) w[j + b] = float(int(word << (24u - 8u * b)) >> 24) * d;
    }
#elif defined(W_Q5_0) || defined(W_Q5_1)
    float d, m; uint qh, qs;
    q5Header(i0, d, m, qh, qs);
    [[unroll]] for (uint j = 0u; j < 16u; j += 4u) {
        uint word = wword(qs + j);
        [[unroll]] for (uint b = 0u; b < 4u; b++) {
            uint byte = (word >> (8u * b)) & 0xFFu;
            w[j + b] = float((byte & 15u) | (((qh >> (j + b)) & 1u) << 4)) * d + m;
            w[j + b + 16u] = float((byte >> 4) | (((qh >> (j + b + 16u)) & 1u) << 4)) * d + m;
        }
    }
#elif defined(W_KQUANT)
    kqBlock32(i0, w);
#else
    [[unroll]] for (uint j = 0u; j < 32u; j++) w[j] = loadW(i0 + j);
#endif
}

// Values 8·s … 8·s+7 of the 32-value block starting at flat index i0 (s in 0..3), for
// kernels whose lanes split K finer than a block.
void dequant8(uint i0, uint s, out float w[8]) {
#if defined(W_Q4_0) || defined(W_Q4_1)
    float d, m; uint qs;
    q4Header(i0, d, m, qs);
    // Byte j holds value j (low nibble) and j + 16 (high nibble).
    uint b0 = qs + (s & 1u) * 8u, shift = s >= 2u ? 4u : 0u;
    uint lo = wword(b0), hi = wword(b0 + 4u);
    [[unroll]] for (uint i = 0u; i < 4u; i++) {
        w[i] = float((lo >> (8u * i + shift)) & 15u) * d + m;
        w[i + 4u] = float((hi >> (8u * i + shift)) & 15u) * d + m;
    }
#elif defined(W_Q8_0)
    uint o = (i0 >> 5) * 34u; float d = wf16(o);
    uint lo = wword(o + 2u + 8u * s), hi = wword(o + 6u + 8u * s);
    [[unroll]] for (uint i = 0u; i < 4u; i++) {
        w[i] = float(int(lo << (24u - 8u * i)) >> 24) * d;
        w[i + 4u] = float(int(hi << (24u - 8u * i)) >> 24) * d;
    }
#elif defined(W_Q5_0) || defined(W_Q5_1)
    float d, m; uint qh, qs;
    q5Header(i0, d, m, qh, qs);
    // Byte j holds value j (low nibble) and j + 16 (high nibble); value 8·s + i's fifth bit
    // is bit 8·s + i of qh.
    uint b0 = qs + (s & 1u) * 8u, shift = s >= 2u ? 4u : 0u;
    uint lo = wword(b0), hi = wword(b0 + 4u), hb = qh >> (8u * s);
    [[unroll]] for (uint i = 0u; i < 4u; i++) {
        w[i] = float(((lo >> (8u * i + shift)) & 15u) | (((hb >> i) & 1u) << 4)) * d + m;
        w[i + 4u] = float(((hi >> (8u * i + shift)) & 15u) | (((hb >> (i + 4u)) & 1u) << 4)) * d + m;
    }
#elif defined(W_KQUANT)
    kqPiece(i0, s, w);
#else
    [[unroll]] for (uint i = 0u; i < 8u; i++) w[i] = loadW(i0 + 8u * s + i);
#endif
}

#if !defined(W_F32) && !defined(W_WHOLE)
// dequant8 in two halves, for kernels that start a stage's weight loads before they wait
// on something else (the persistent kernel stages its input row meanwhile): raw8 issues the
// loads of values 8·s … 8·s+7 of the block at flat index i0 (at most four words: for the
// block formats the header word and the words holding the quants, for float16/bfloat16
// the values), decode8 turns them into floats. No word past the piece's block is read.
uvec4 raw8(uint i0, uint s) {
#if defined(W_Q4_1)
    uint o = (i0 >> 5) * 20u, q = (o + 4u + (s & 1u) * 8u) >> 2;
    return uvec4(WLOAD(o >> 2), WLOAD(q), WLOAD(q + 1u), 0u);
#elif defined(W_Q4_0) || defined(W_Q8_0)
#if defined(W_Q4_0)
    uint o = (i0 >> 5) * 18u, b = o + 2u + (s & 1u) * 8u;
#else
    uint o = (i0 >> 5) * 34u, b = o + 2u + 8u * s;
#endif
    // b is even: two words when it is a multiple of 4, else three.
    uint a = b >> 2;
    return uvec4(WLOAD(o >> 2), WLOAD(a), WLOAD(a + 1u), (b & 2u) != 0u ? WLOAD(a + 2u) : 0u);
#else
    uint a = (i0 + 8u * s) >> 1;
    return uvec4(WLOAD(a), WLOAD(a + 1u), WLOAD(a + 2u), WLOAD(a + 3u));
#endif
}

void decode8(uvec4 r, uint i0, uint s, out float w[8]) {
#if defined(W_Q4_0) || defined(W_Q4_1)
#if defined(W_Q4_1)
    vec2 dm = unpackHalf2x16(r.x);
    float d = dm.x, m = dm.y;
    uint lo = r.y, hi = r.z;
#else
    uint o = (i0 >> 5) * 18u, b = o + 2u + (s & 1u) * 8u;
    float d = unpackHalf2x16((o & 2u) != 0u ? r.x >> 16 : r.x).x, m = -8.0 * d;
    bool odd = (b & 2u) != 0u;
    uint lo = odd ? (r.y >> 16) | (r.z << 16) : r.y, hi = odd ? (r.z >> 16) | (r.w << 16) : r.z;
#endif
    uint shift = s >= 2u ? 4u : 0u;
    [[unroll]] for (uint i = 0u; i < 4u; i++) {
        w[i] = float((lo >> (8u * i + shift)) & 15u) * d + m;
        w[i + 4u] = float((hi >> (8u * i + shift)) & 15u) * d + m;
    }
#elif defined(W_Q8_0)
    uint o = (i0 >> 5) * 34u, b = o + 2u + 8u * s;
    float d = unpackHalf2x16((o & 2u) != 0u ? r.x >> 16 : r.x).x;
    bool odd = (b & 2u) != 0u;
    uint lo = odd ? (r.y >> 16) | (r.z << 16) : r.y, hi = odd ? (r.z >> 16) | (r.w << 16) : r.z;
    [[unroll]] for (uint i = 0u; i < 4u; i++) {
        w[i] = float(int(lo << (24u - 8u * i)) >> 24) * d;
        w[i + 4u] = float(int(hi << (24u - 8u * i)) >> 24) * d;
    }
#elif defined(W_F16)
    [[unroll]] for (uint j = 0u; j < 4u; j++) { vec2 h = unpackHalf2x16(r[j]); w[2u * j] = h.x; w[2u * j + 1u] = h.y; }
#elif defined(W_BF16)
    [[unroll]] for (uint j = 0u; j < 4u; j++) { w[2u * j] = uintBitsToFloat(r[j] << 16); w[2u * j + 1u] = uintBitsToFloat(r[j] & 0xFFFF0000u); }
#endif
}
#endif
