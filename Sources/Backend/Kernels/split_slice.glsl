// One unit of split decode attention — query row r, head and slice hs = h·S + s — shared by
// attention_split.comp and persistent.comp. The slice's keys are scored (attend.glsl) and its
// max, sum and weighted values written to the partials; a cache short enough for one slice
// (SplitAttention.keysPerSlice: one slice per 64 keys, at most S) writes the output directly.
// Otherwise the slice is counted in the (row, head) counter, and the workgroup that finds
// the others done merges the slices into the output and resets the counter.
// Before including: attend.glsl (and what it needs), shared uint isLast, and the operands
// QIN(i) (queries; not read when Q_STAGED: the caller staged them in qsh), SLICE_OUT(i, v)
// (writes v to output i), PART(i) (partials), COUNTER(i) (counters); and optionally
// TAGGED_SLICES(used, D) (whether a split's partials go to taggedSlice instead).

// Keys per slice at most, while slices are left (SplitAttention.keysPerSlice).
#ifndef SLICE_KEYS
#define SLICE_KEYS 64u
#endif

// Slices whose values the merging workgroup loads before it waits (split merges of more
// take the rest one after another).
#ifndef MERGE_BATCH
#define MERGE_BATCH 8u
#endif

// float big, tot: the largest of the `used` slices' maxima and the sum of their sums scaled
// to it, from sc (max and sum of slice s at 2·s), as every merge of slices computes them.
#define SLICES_MAX_SUM(used) \
    float big = -3.4e38; \
    for (uint s2 = 0u; s2 < (used); s2++) big = max(big, sc[2u * s2]); \
    float tot = 0.0; \
    for (uint s2 = 0u; s2 < (used); s2++) tot += exp(sc[2u * s2] - big) * sc[2u * s2 + 1u];

// The keys lo ..< hi of slice s of row r (of S), and how many slices are in use.
void sliceKeys(uint r, uint s, uint S, uint window, out uint lo, out uint hi, out uint used) {
    uint p = STEP_P + r;
    uint first = firstKey(p, window);
    uint n = p + 1u - first, per;
    used = min(S, (n + (SLICE_KEYS - 1u)) / SLICE_KEYS);
    per = (n + used - 1u) / used;
    lo = min(first + s * per, p + 1u);
    hi = min(lo + per, p + 1u);
}

void splitSlice(uint r, uint hs, uint heads, uint kvHeads, uint D, uint window, float scale, uint S) {
    uint t = gl_LocalInvocationID.x;
    uint h = hs / S, s = hs % S, g = h / (heads / kvHeads);
    uint qw = heads * D, kw = kvHeads * D, pw = heads * S * (D + 2u);
    uint lo, hi, used;
    sliceKeys(r, s, S, window, lo, hi, used);
    if (!Q_STAGED) for (uint d = t; d < D; d += WG) qsh[d] = QIN(r * qw + h * D + d) * scale;
    barrier();
    float m = -3.4e38, l = 0.0;
    float acc[MAXD / WG];
    [[unroll]] for (uint k = 0u; k < MAXD / WG; k++) acc[k] = 0.0;
    attend(lo, hi, kw, g * D, D, m, l, acc);
    uint o = r * pw + hs * (D + 2u);
#if defined(TAGGED_SLICES)
    // The slices' partials go out tagged and the last slice merges them as they come in
    // (persistent_attention.glsl's taggedSlice): nothing is counted.
    if (used >= 2u && s < used && TAGGED_SLICES(used, D)) {
        taggedSlice(r, h, s, used, S, D, qw, r * pw + h * S * (D + 2u), m, l, acc);
        barrier();
        return;
    }
#endif
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
                if (d < D) SLICE_OUT(r * qw + h * D + d, acc[k] / l)
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
        // The merge's loads go out together, so it waits on memory once: invocation s2 <
        // used loads slice s2's max and sum (to sc, free after attend), invocation d < D its
        // dim of the first MERGE_BATCH slices (of more slices, the rest after that).
        float mx = 0.0, sm = 0.0, pv[MERGE_BATCH];
        if (t < used) { mx = PART(base + t * (D + 2u)); sm = PART(base + t * (D + 2u) + 1u); }
        [[unroll]] for (uint i = 0u; i < MERGE_BATCH; i++) pv[i] = t < D && i < used ? PART(base + i * (D + 2u) + 2u + t) : 0.0;
        if (t < used) { sc[2u * t] = mx; sc[2u * t + 1u] = sm; }
        barrier();
        SLICES_MAX_SUM(used)
        for (uint d = t; d < D; d += WG) {
            float a = 0.0;
            [[unroll]] for (uint i = 0u; i < MERGE_BATCH; i++) if (i < used && d == t) a += exp(sc[2u * i] - big) * pv[i];
            for (uint s2 = d == t ? MERGE_BATCH : 0u; s2 < used; s2++) a += exp(sc[2u * s2] - big) * PART(base + s2 * (D + 2u) + 2u + d);
            SLICE_OUT(r * qw + h * D + d, a / tot)
        }
        if (t == 0u) COUNTER(r * heads + h) = 0u;
    }
    barrier();
}
