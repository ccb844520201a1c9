// Output pair p of the fused Q/K/V projection (columns of [q | k | v]): the two columns
// (ca, cb) it combines and, when they are a RoPE rotation pair, the frequency index i.
// Shared by qkv_rope.comp and the tiled kernel's QKV epilogue.
void qkvPair(uint p, uint qd, uint kvd, uint D, uint dims, uint mode, out uint ca, out uint cb, out uint i, out bool rotate) {
    uint half_ = D / 2u;
    i = 0u; rotate = false;
    if (p < (qd + kvd) / 2u) {
        uint base = p < qd / 2u ? 0u : qd;
        uint hp = p < qd / 2u ? p : p - qd / 2u;
        uint head = hp / half_, j = hp % half_;
        uint h0 = base + head * D;
        if (j < dims / 2u) {
            rotate = true; i = j;
            if (mode == 0u) { ca = h0 + 2u * j; cb = ca + 1u; } else { ca = h0 + j; cb = ca + dims / 2u; }
        } else {
            uint e = dims + 2u * (j - dims / 2u);
            ca = h0 + e; cb = ca + 1u;
        }
    } else {
        ca = qd + kvd + 2u * (p - (qd + kvd) / 2u); cb = ca + 1u;
    }
}

// Rotates pair (va, vb) of frequency index fi at position pos (RoPE base, rotated dims).
void ropeRotate(uint pos, uint fi, float base, uint dims, inout float va, inout float vb) {
    float th = float(pos) * pow(base, -2.0 * float(fi) / float(dims)), c = cos(th), s = sin(th);
    float ra = va * c - vb * s;
    vb = va * s + vb * c;
    va = ra;
}

// Rotates (when a RoPE pair) and stores one row's pair: q into qs, k and v into the caches
// (elements of type KVT, kvcache.glsl).
#define QKV_STORE(t, va0, vb0) { \
    uint pos_ = STEP_P + (t); float va_ = (va0), vb_ = (vb0); \
    if (rotate) ropeRotate(pos_, fi, pc.base, pc.dims, va_, vb_); \
    if (ca < qd) { qs[(t) * qd + ca] = va_; qs[(t) * qd + cb] = vb_; } \
    else if (pos_ < pc.capacity) { \
        if (ca < qd + kvd) { kc[pos_ * kvd + ca - qd] = KVT(va_); kc[pos_ * kvd + cb - qd] = KVT(vb_); } \
        else { vc[pos_ * kvd + ca - qd - kvd] = KVT(va_); vc[pos_ * kvd + cb - qd - kvd] = KVT(vb_); } \
    } }
