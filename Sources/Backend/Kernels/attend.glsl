// The chunk loop shared by the attention kernels (attention.comp, attention_split.comp,
// persistent.comp): keys lo ..< hi of one kv head (row j at j·kw + koff of the caches)
// against the scaled query in qsh, with an online softmax carried in the running max m and
// sum l; invocation t accumulates output dims t, t + WG, … in acc.
// Keys are taken in chunks of up to CH: each invocation scores keys t, t + WG, … of the
// chunk (a whole dot product per key, sixteen 4-value loads in flight at a time), the
// chunk's max and sum are workgroup reductions, and each invocation then sums its dims over
// the chunk's keys eight value loads at a time (coalesced across invocations; when the
// workgroup has at least twice as many invocations as dims, sets of D invocations split the
// keys and add up through shared memory). Loads are
// issued before the arithmetic that uses them, so a slice waits for memory a few times, not
// once per key or per dimension.
// Before including: WG, MAXD, CH, shared float qsh[MAXD] and sc[CH], reduce.glsl, and the
// cache reads KC(i), KC4(i) (four floats at float index 4i; not with PRELOAD) and VC(i).
// With FRESH_KEYS defined (the persistent kernel), keys FRESH_FROM, FRESH_FROM + 1, … (this
// step's rows) are read from KNEW(i, d) and VNEW(i, d) (key FRESH_FROM + i, dimension d)
// instead of the caches, which the stage that computed them wrote without a fence.
// With PRELOAD defined (the persistent kernel) cached keys and values are read only from
// shared memory, in chunks of PRE_KEYS(D) keys: KPRE4(c, d) (four values from d), KPRE(c, d)
// and VPRE(c, d) (key j0 + c of the chunk from j0). The caller loaded the first chunk's PRE_N
// keys before it waited for its inputs; the rest are loaded here (PRE_LOAD(j0, n)). Same
// products in the same order as from the caches, except that a slice of more than one chunk
// is taken in smaller chunks.
shared float vsum[WG];
// Values each invocation of a set loads before using any (the set's keys VBATCH at a time).
#if !defined(VBATCH)
#define VBATCH 16u
#endif

// s += the query (qsh) times one key, four dims at a time (K4: the key's dims d … d + 3) or,
// where D or the layout is not a multiple of four, one at a time (K1: dim d).
#define SCORE_KEY(K4, K1) \
    if (quads) { \
        for (uint d0 = 0u; d0 < D; d0 += 64u) { \
            [[unroll]] for (uint i = 0u; i < 16u; i++) { \
                uint d = d0 + 4u * i; \
                if (d < D) s += dot(vec4(qsh[d], qsh[d + 1u], qsh[d + 2u], qsh[d + 3u]), K4); \
            } \
        } \
    } else { \
        for (uint d = 0u; d < D; d++) s += qsh[d] * K1; \
    }

void attend(uint lo, uint hi, uint kw, uint koff, uint D, inout float m, inout float l, inout float acc[MAXD / WG]) {
    uint t = gl_LocalInvocationID.x;
    bool quads = (D & 3u) == 0u && (kw & 3u) == 0u && (koff & 3u) == 0u;
#if defined(PRELOAD)
    uint chunk = PRE_KEYS(D);
#else
    uint chunk = CH;
#endif
    for (uint j0 = lo; j0 < hi; j0 += chunk) {
        uint cnt = min(chunk, hi - j0);
#if defined(FRESH_KEYS)
        // Keys of the chunk in the caches: those before FRESH_FROM.
        uint cached = FRESH_FROM > j0 ? min(cnt, FRESH_FROM - j0) : 0u;
#else
        uint cached = cnt;
#endif
#if defined(PRELOAD)
        // The chunk's cached keys and values in shared memory: the first chunk's loaded before
        // the unit waited for its inputs (PRE_N of them), the others now.
        if (j0 != lo || cached > PRE_N) {
            PRE_LOAD(j0, cached);
            barrier();
        }
        float cm = -3.4e38;
        for (uint c = t; c < cnt; c += WG) {
            float s = 0.0;
            if (c >= cached) {
                uint f = j0 + c - FRESH_FROM;
                SCORE_KEY(vec4(KNEW(f, d), KNEW(f, d + 1u), KNEW(f, d + 2u), KNEW(f, d + 3u)), KNEW(f, d))
            } else {
                SCORE_KEY(KPRE4(c, d), KPRE(c, d))
            }
            sc[c] = s;
            cm = max(cm, s);
        }
#else
        float cm = -3.4e38;
        for (uint c = t; c < cnt; c += WG) {
            uint base = (j0 + c) * kw + koff;
            float s = 0.0;
#if defined(FRESH_KEYS)
            // The same products in the same order as from the caches below.
            if (c >= cached) {
                uint f = j0 + c - FRESH_FROM;
                SCORE_KEY(vec4(KNEW(f, d), KNEW(f, d + 1u), KNEW(f, d + 2u), KNEW(f, d + 3u)), KNEW(f, d))
            } else
#endif
            {
                SCORE_KEY(KC4((base + d) >> 2), KC(base + d))
            }
            sc[c] = s;
            cm = max(cm, s);
        }
#endif
        cm = max(wgMax(cm), m);
        float part = 0.0;
        for (uint c = t; c < cnt; c += WG) { float e = exp(sc[c] - cm); sc[c] = e; part += e; }
        float corr = exp(m - cm);
        l = l * corr + wgSum(part);
        m = cm;
        uint groups = WG / D;
        if (groups >= 2u) {
            // Fewer dims than half the invocations: `groups` sets of D invocations each take
            // every groups-th key (so a short slice waits on its values once or twice, not
            // once per eight keys), and their sums meet in shared memory.
            uint d = t % D, g = t / D;
            float a = 0.0;
            if (g < groups) {
                uint base = j0 * kw + koff + d;
#if defined(PRELOAD)
                // In the order of the loop below, four keys' reads issued before their sums.
                uint c = g;
                for (; c + 3u * groups < cached; c += 4u * groups) {
                    float s0 = sc[c], s1 = sc[c + groups], s2 = sc[c + 2u * groups], s3 = sc[c + 3u * groups];
                    float v0 = VPRE(c, d), v1 = VPRE(c + groups, d), v2 = VPRE(c + 2u * groups, d), v3 = VPRE(c + 3u * groups, d);
                    a += s0 * v0; a += s1 * v1; a += s2 * v2; a += s3 * v3;
                }
                for (; c < cached; c += groups) a += sc[c] * VPRE(c, d);
#else
                for (uint c0 = g; c0 < cached; c0 += VBATCH * groups) {
                    float v[VBATCH];
                    [[unroll]] for (uint i = 0u; i < VBATCH; i++) { uint c = c0 + i * groups; v[i] = c < cached ? VC(base + c * kw) : 0.0; }
                    [[unroll]] for (uint i = 0u; i < VBATCH; i++) { uint c = c0 + i * groups; if (c < cached) a += sc[c] * v[i]; }
                }
#endif
#if defined(FRESH_KEYS)
                // The fresh keys come last in their sets' sequences, as from the caches.
                for (uint c = cached; c < cnt; c++) if (c % groups == g) a += sc[c] * VNEW(j0 + c - FRESH_FROM, d);
#endif
            }
            vsum[t] = a;
            barrier();
            if (t < D) {
                float tot = 0.0;
                for (uint g2 = 0u; g2 < groups; g2++) tot += vsum[g2 * D + t];
                acc[0] = acc[0] * corr + tot;
            }
        } else {
            [[unroll]] for (uint k = 0u; k < MAXD / WG; k++) {
                uint d = t + WG * k;
                if (d < D) {
                    float a = 0.0;
                    uint base = j0 * kw + koff + d;
#if defined(PRELOAD)
                    for (uint c = 0u; c < cached; c++) a += sc[c] * VPRE(c, d);
#else
                    for (uint c0 = 0u; c0 < cached; c0 += 8u) {
                        float v[8];
                        [[unroll]] for (uint i = 0u; i < 8u; i++) v[i] = c0 + i < cached ? VC(base + (c0 + i) * kw) : 0.0;
                        [[unroll]] for (uint i = 0u; i < 8u; i++) if (c0 + i < cached) a += sc[c0 + i] * v[i];
                    }
#endif
#if defined(FRESH_KEYS)
                    for (uint c = cached; c < cnt; c++) a += sc[c] * VNEW(j0 + c - FRESH_FROM, d);
#endif
                    acc[k] = acc[k] * corr + a;
                }
            }
        }
        barrier();
    }
}
