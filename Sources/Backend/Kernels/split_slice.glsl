// One unit of split decode attention — query row r, head and slice hs = h·S + s — shared by
// attention_split.comp and persistent.comp. The slice's keys are scored (attend.glsl) and its
// max, sum and weighted values written to the partials; a cache short enough for one slice
// (SplitAttention.keysPerSlice: one slice per 64 keys, at most S) writes the output directly.
// Otherwise the slice is counted in the (row, head) counter, and the workgroup that finds
// the others done merges the slices into the output and resets the counter.
// Before including: attend.glsl (and what it needs), shared uint isLast, and the operands
// QIN(i) (queries), YOUT(i) (output), PART(i) (partials), COUNTER(i) (counters).
// attend()'s work for head dims a multiple of 16 that divide WG, with fewer waits on memory:
// D/16 invocations per key (16 dims each) score WG/(D/16) keys at a time, the query comes
// straight from memory, and a pass's query, keys and values are one batch of loads (at
// most 16 keys per invocation of values: sets of D invocations take every (WG/D)-th key).
// So a slice of up to 64 keys at D = 64 waits for memory once, where attend() waits to
// stage the query, for the keys, and for the values in batches of eight.
void attendQuads(uint lo, uint hi, uint kw, uint koff, uint qoff, float scale, uint D, inout float m, inout float l, inout float acc[MAXD / WG]) {
    uint t = gl_LocalInvocationID.x;
    uint L = D / 16u, part = t % L, key = t / L;
    uint groups = WG / D, d = t % D, g = t / D;
    uint per = min(WG / L, 16u * groups);
    vec4 q[4];
    [[unroll]] for (uint i = 0u; i < 4u; i++) {
        uint b = qoff + part * 16u + 4u * i;
        q[i] = vec4(QIN(b), QIN(b + 1u), QIN(b + 2u), QIN(b + 3u)) * scale;
    }
    for (uint j0 = lo; j0 < hi; j0 += per) {
        uint cnt = min(per, hi - j0);
        float v[16];
        [[unroll]] for (uint i = 0u; i < 16u; i++) { uint c = g + i * groups; v[i] = c < cnt ? VC((j0 + c) * kw + koff + d) : 0.0; }
        float s = 0.0;
        if (key < cnt) {
            uint base = ((j0 + key) * kw + koff + part * 16u) >> 2;
            [[unroll]] for (uint i = 0u; i < 4u; i++) s += dot(q[i], KC4(base + i));
        }
        vsum[t] = s;
        barrier();
        float score = -3.4e38;
        if (t < cnt) {
            score = 0.0;
            for (uint j = 0u; j < L; j++) score += vsum[t * L + j];
        }
        float cm = max(wgMax(score), m);
        float e = t < cnt ? exp(score - cm) : 0.0;
        if (t < cnt) sc[t] = e;
        float corr = exp(m - cm);
        // wgSum's barriers also publish sc.
        l = l * corr + wgSum(e);
        m = cm;
        float a = 0.0;
        [[unroll]] for (uint i = 0u; i < 16u; i++) { uint c = g + i * groups; if (c < cnt) a += sc[c] * v[i]; }
        vsum[t] = a;
        barrier();
        if (t < D) {
            float tot = 0.0;
            for (uint g2 = 0u; g2 < groups; g2++) tot += vsum[g2 * D + t];
            acc[0] = acc[0] * corr + tot;
        }
        barrier();
    }
}

void splitSlice(uint r, uint hs, uint heads, uint kvHeads, uint D, uint window, float scale, uint S) {
    uint t = gl_LocalInvocationID.x;
    uint h = hs / S, s = hs % S, g = h / (heads / kvHeads);
    uint qw = heads * D, kw = kvHeads * D, pw = heads * S * (D + 2u);
    uint p = stepv.P + r;
    uint first = firstKey(p, window);
    uint n = p + 1u - first, used = min(S, (n + 63u) / 64u), per = (n + used - 1u) / used;
    uint lo = min(first + s * per, p + 1u), hi = min(lo + per, p + 1u);
    bool quads = (D & 15u) == 0u && D <= WG && WG % D == 0u;
    float m = -3.4e38, l = 0.0;
    float acc[MAXD / WG];
    [[unroll]] for (uint k = 0u; k < MAXD / WG; k++) acc[k] = 0.0;
    if (quads) {
        attendQuads(lo, hi, kw, g * D, r * qw + h * D, scale, D, m, l, acc);
    } else {
        for (uint d = t; d < D; d += WG) qsh[d] = QIN(r * qw + h * D + d) * scale;
        barrier();
        attend(lo, hi, kw, g * D, D, m, l, acc);
    }
    uint o = r * pw + hs * (D + 2u);
    if (t == 0u) { PART(o) = m; PART(o + 1u) = l; }
    [[unroll]] for (uint k = 0u; k < MAXD / WG; k++) {
        uint d = t + WG * k;
        if (d < D) PART(o + 2u + d) = acc[k];
    }
    // One slice in use: it is the output. Empty slices (past the ones in use) are not counted.
    if (used == 1u || s >= used) {
        if (s == 0u) {
            [[unroll]] for (uint k = 0u; k < MAXD / WG; k++) {
                uint d = t + WG * k;
                if (d < D) YOUT(r * qw + h * D + d) = acc[k] / l;
            }
        }
        barrier();
        return;
    }
    // Publish the slice, then count it; the last of the (row, head) merges.
    memoryBarrierBuffer();
    barrier();
    if (t == 0u) {
        uint before = atomicAdd(COUNTER(r * heads + h), 1u, gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsAcquireRelease);
        isLast = before == used - 1u ? 1u : 0u;
    }
    barrier();
    if (isLast != 0u) {
        memoryBarrierBuffer();
        uint base = r * pw + h * S * (D + 2u);
        float big = -3.4e38;
        for (uint s2 = 0u; s2 < used; s2++) big = max(big, PART(base + s2 * (D + 2u)));
        float tot = 0.0;
        for (uint s2 = 0u; s2 < used; s2++) tot += exp(PART(base + s2 * (D + 2u)) - big) * PART(base + s2 * (D + 2u) + 1u);
        for (uint d = t; d < D; d += WG) {
            float a = 0.0;
            for (uint s2 = 0u; s2 < used; s2++) a += exp(PART(base + s2 * (D + 2u)) - big) * PART(base + s2 * (D + 2u) + 2u + d);
            YOUT(r * qw + h * D + d) = a / tot;
        }
        if (t == 0u) COUNTER(r * heads + h) = 0u;
    }
    barrier();
}
