// Split attention merged by its reader (stage flag 32, dataflow mode): where the attention
// stage split row r's keys over 2 … MERGE_TAGGED_MAX slices, its units wrote their partials
// (max, sum, weighted values; split_slice.glsl's layout) tagged at slot 11 and did not count
// or merge them; the output projection that reads the attention output stages its input row
// by merging them itself, every workgroup for the whole row. That saves the attention stage
// the counter's round trip and the merging unit's reads of the partials: one hand-over
// between the two stages, as with one slice. The same operations in the same order as
// split_slice.glsl's merge, so the same values. Included by persistent.glsl after
// persistent_attention.glsl (sliceKeys); the matrix stage's push words 8–11 hold the
// attention stage's heads, slices, head size and window.

// Values (row elements × slices) each invocation loads before it waits for any.
const uint ME = 3u, MS = 4u;

// Issues the loads of slices s0 ..< s0 + MS of elements k0, k0 + WG, … (ME of them).
void mergeLoads(Tagged P, uint rb, uint k0, uint s0, uint used, uint K, uint S, uint D, out uvec2 v[ME * MS]) {
    [[unroll]] for (uint e = 0u; e < ME; e++) {
        uint k = min(k0 + e * WG, K - 1u), h = k / D, d = k - h * D;
        [[unroll]] for (uint j = 0u; j < MS; j++) {
            uint s = min(s0 + j, used - 1u);
            v[e * MS + j] = tload(P, rb + (h * S + s) * (D + 2u) + 2u + d);
        }
    }
}

// False (and nothing staged) where the attention stage merged row r itself: one slice, or more
// than MERGE_TAGGED_MAX. Every invocation calls it.
bool stageRowMerged(uint r, uint K) {
    uint si = curStage, t = gl_LocalInvocationID.x;
    uint H = stages[si].push[8], S = stages[si].push[9], D = stages[si].push[10];
    uint lo, hi, used;
    sliceKeys(r, 0u, S, stages[si].push[11], lo, hi, used);
    if (used < 2u || used > MERGE_TAGGED_MAX) return false;
    Tagged P = Tagged(stages[si].ptr[11]);
    uint rb = r * H * S * (D + 2u);
    // Invocation t < H·used waits for the max and sum of (head t / used, slice t % used); the
    // first values' loads go out before that wait.
    uvec2 v[ME * MS];
    mergeLoads(P, rb, t, 0u, used, K, S, D, v);
    bool ml = t < H * used;
    uint mo = rb + ((t / used) * S + t % used) * (D + 2u);
    uvec2 mx = ml ? tload(P, mo) : uvec2(0u, tagNow), sm = ml ? tload(P, mo + 1u) : uvec2(0u, tagNow);
    uint spins = 0u;
    while ((mx.y != tagNow || sm.y != tagNow) && !flowGaveUp) {
        spinWait(spins);
        if (mx.y != tagNow) mx = tload(P, mo);
        if (sm.y != tagNow) sm = tload(P, mo + 1u);
    }
    // sc (the attention stage's scores, free here): maxima and sums at 2·(h·used + s), each
    // head's largest max and total at CH / 2 + 2·h.
    if (ml) { sc[2u * t] = uintBitsToFloat(mx.x); sc[2u * t + 1u] = uintBitsToFloat(sm.x); }
    barrier();
    if (t < H) {
        float big = -3.4e38, tot = 0.0;
        for (uint s2 = 0u; s2 < used; s2++) big = max(big, sc[2u * (t * used + s2)]);
        for (uint s2 = 0u; s2 < used; s2++) tot += exp(sc[2u * (t * used + s2)] - big) * sc[2u * (t * used + s2) + 1u];
        sc[CH / 2u + 2u * t] = big;
        sc[CH / 2u + 2u * t + 1u] = tot;
    }
    barrier();
    for (uint k0 = t; k0 < K; k0 += ME * WG) {
        float a[ME];
        [[unroll]] for (uint e = 0u; e < ME; e++) a[e] = 0.0;
        for (uint s0 = 0u; s0 < used; s0 += MS) {
            if (k0 != t || s0 != 0u) mergeLoads(P, rb, k0, s0, used, K, S, D, v);
            [[unroll]] for (uint e = 0u; e < ME; e++) {
                uint k = k0 + e * WG, h = min(k, K - 1u) / D, d = min(k, K - 1u) - h * D;
                [[unroll]] for (uint j = 0u; j < MS; j++) {
                    uint s = s0 + j;
                    if (k < K && s < used) {
                        uint at = rb + (h * S + s) * (D + 2u) + 2u + d;
                        while (v[e * MS + j].y != tagNow && !flowGaveUp) { spinWait(spins); v[e * MS + j] = tload(P, at); }
                        a[e] += exp(sc[2u * (h * used + s)] - sc[CH / 2u + 2u * h]) * uintBitsToFloat(v[e * MS + j].x);
                    }
                }
            }
        }
        [[unroll]] for (uint e = 0u; e < ME; e++) {
            uint k = k0 + e * WG;
            if (k < K) xsh[k] = a[e] / sc[CH / 2u + 2u * (k / D) + 1u];
        }
    }
    barrier();
    xStaged = true;
    return true;
}
