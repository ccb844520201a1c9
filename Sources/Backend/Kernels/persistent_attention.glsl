// The persistent kernel's attention stage (split decode attention, split_slice.glsl's units
// spread over the workgroups): the slice's cached keys staged in xsh before the unit waits,
// this step's keys and query taken with their tags in dataflow mode. Included by
// persistent.glsl after the matrix stages.
const uint MAXD = 256u;
const uint CH = 1024u;
shared float qsh[MAXD];
shared float sc[CH];
shared uint isLast;
Cache kc_a, vc_a;
Raw4 kr4_a, vr4_a;
#define KC(i) float(kc_a.d[i])
#define VC(i) float(vc_a.d[i])
// In dataflow mode this step's keys and values come with their tags (flowAttentionInputs
// stages them in the upper half of sc, which holds scores of chunks of at most CH / 2 keys:
// keys of row i at CH / 2 + i·D, values FRESH_MAX further).
#define FRESH_KEYS 1
uint freshFrom;
#define FRESH_FROM freshFrom
#define KNEW(i, d) sc[CH / 2u + (i) * D + (d)]
#define VNEW(i, d) sc[CH / 2u + FRESH_MAX + (i) * D + (d)]
// The first keys and values of an attention unit's slice (row c at c·D; PRE_KEYS(D) of them,
// 64 of 64 float16 dims), in xsh (free during attention: keys in its first half, values in
// its second), kept as the caches hold them (two float16 values per word, or float32), so
// that reading them back costs the registers a cache read does. The unit loads them before it
// waits for its inputs (preN keys; none with run flag 32), so the loads overlap the wait
// instead of following it. (Shared memory of their own took the kernel past 128 registers on
// the H200, and with that to one workgroup per multiprocessor.)
const uint KVW = XMAX / 2u;
#if defined(KV_F16)
const uint KVSH = 2u * KVW;
#define PRE4(o, e) vec4(unpackHalf2x16(floatBitsToUint(xsh[(o) + 2u * (e)])), unpackHalf2x16(floatBitsToUint(xsh[(o) + 2u * (e) + 1u])))
#define PRE1(o, i) unpackHalf2x16(floatBitsToUint(xsh[(o) + ((i) >> 1)]))[(i) & 1u]
#else
const uint KVSH = KVW;
#define PRE4(o, e) vec4(xsh[(o) + 4u * (e)], xsh[(o) + 4u * (e) + 1u], xsh[(o) + 4u * (e) + 2u], xsh[(o) + 4u * (e) + 3u])
#define PRE1(o, i) xsh[(o) + (i)]
#endif
uint preN;
// The cached keys' quads in xsh are swizzled within each key's row (quad i of key c at quad
// i ^ (c & kswz) of the row): the score loop reads the same quad of consecutive keys in
// consecutive invocations, which unswizzled all fall in one bank of shared memory. kswz is
// 0 (no swizzle) where the rows are not read in quads, else the largest power of two that
// divides the row's quads, at most 128 bytes' worth, less one (attentionStage).
uint kswz;
#if defined(KV_F16)
const uint KSWZ_QUADS = 16u;
#else
const uint KSWZ_QUADS = 8u;
#endif
uint keySwizzle(uint D) {
    uint dq = D >> 2;
    return (D & 3u) == 0u ? min(KSWZ_QUADS, dq & (~dq + 1u)) - 1u : 0u;
}
// Key quad e (key e / dq, quad e % dq of it) as xsh holds it.
uint kquad(uint e, uint dq) { uint c = e / dq; return c * dq + ((e - c * dq) ^ (c & kswz)); }
// Loads per invocation in flight while loading a chunk (four-value loads of keys and of values).
#if !defined(PRE_BATCH)
#define PRE_BATCH 4u
#endif

// Loads keys lo ..< lo + n (n·D ≤ KVSH) of the kv head at offset koff of a cache row of kw, and
// their values, into xsh. Every invocation calls it.
void preloadSlice(uint lo, uint n, uint kw, uint koff, uint D) {
    uint t = gl_LocalInvocationID.x, total = n * D;
    if ((D & 3u) == 0u && (kw & 3u) == 0u && (koff & 3u) == 0u) {
        // Four values at a time, as raw words.
        uint quads = total / 4u, dq = D / 4u;
        for (uint i0 = t; i0 < quads; i0 += PRE_BATCH * WG) {
            RAW4 k[PRE_BATCH], v[PRE_BATCH];
            [[unroll]] for (uint i = 0u; i < PRE_BATCH; i++) {
                uint e = min(i0 + i * WG, quads - 1u), at = ((lo + e / dq) * kw + koff) / 4u + e % dq;
                k[i] = kr4_a.d[at];
                v[i] = vr4_a.d[at];
            }
            [[unroll]] for (uint i = 0u; i < PRE_BATCH; i++) {
                uint e = i0 + i * WG;
                if (e < quads) {
                    uint ke = kquad(e, dq);
#if defined(KV_F16)
                    xsh[2u * ke] = uintBitsToFloat(k[i].x); xsh[2u * ke + 1u] = uintBitsToFloat(k[i].y);
                    xsh[KVW + 2u * e] = uintBitsToFloat(v[i].x); xsh[KVW + 2u * e + 1u] = uintBitsToFloat(v[i].y);
#else
                    [[unroll]] for (uint j = 0u; j < 4u; j++) {
                        xsh[4u * ke + j] = uintBitsToFloat(k[i][j]);
                        xsh[KVW + 4u * e + j] = uintBitsToFloat(v[i][j]);
                    }
#endif
                }
            }
        }
    } else {
#if defined(KV_F16)
        // Two values per word: one invocation takes both.
        for (uint e = 2u * t; e < total; e += 2u * WG) {
            uint a0 = (lo + e / D) * kw + koff + e % D, a1 = (lo + (e + 1u) / D) * kw + koff + (e + 1u) % D;
            bool two = e + 1u < total;
            xsh[e >> 1] = uintBitsToFloat(packHalf2x16(vec2(KC(a0), two ? KC(a1) : 0.0)));
            xsh[KVW + (e >> 1)] = uintBitsToFloat(packHalf2x16(vec2(VC(a0), two ? VC(a1) : 0.0)));
        }
#else
        for (uint e = t; e < total; e += WG) {
            uint at = (lo + e / D) * kw + koff + e % D;
            xsh[e] = KC(at);
            xsh[KVW + e] = VC(at);
        }
#endif
    }
}
#define PRELOAD 1
#define PRE_N preN
#define PRE_KEYS(D) min(CH / 2u, KVSH / (D))
#define PRE_LOAD(j0, n) preloadSlice(j0, n, kw, koff, D)
#define KPRE4(c, d) PRE4(0u, (c) * (D >> 2) + (((d) >> 2) ^ ((c) & kswz)))
#define KPRE(c, d) PRE1(0u, (c) * D + (d))
#define VPRE(c, d) PRE1(KVW, (c) * D + (d))
#include "attend.glsl"

Floats q_a, y_a, part_a;
Uints counters_a;
#define QIN(i) (flow && (stages[curStage].flags & 2u) != 0u ? tagged(Tagged(stages[curStage].ptr[0]), i) : q_a.d[i])
// With the output projection fused (stage flag 64; one row) the head's output goes to qsh
// (free after attend) for fusedHead instead.
bool fuseOut;
shared uint headOut;
#define SLICE_OUT(i, v) { if (fuseOut) { qsh[(i) % D] = (v); headOut = 1u; } else if (flow) outStore(i, v); else y_a.d[i] = (v); }
#define PART(i) part_a.d[i]
#define COUNTER(i) counters_a.d[i]
// Stage flag 32 (dataflow mode): a split's partials (the layout of split_slice.glsl's, at slot
// 11) carry tags; each slice but the last writes its own, and the last one's workgroup waits
// for the others' and merges them with its own (the same operations in the same order as
// split_slice.glsl's merge) — a round trip for the partials and none for a counter, where
// the counted merge takes three (the fence before counting, the count, the partials).
// Where the others' values fit in xsh ((used − 1)·D ≤ XMAX); else the counted merge.
#define TAGGED_SLICES(used, D) (flow && (stages[curStage].flags & 32u) != 0u && ((used) - 1u) * (D) <= XMAX)
// Values each invocation of the merging workgroup loads before it waits for any (H200,
// synthetic SmolLM2 shape: 1 against 2 and 4, tg128 +1.4 %, the same at depth 512 and 2048;
// measured with the kernel at 128 registers, before persistent_flow.glsl's ROWB took it to 114).
const uint TMERGE = 1u;
void taggedSlice(uint r, uint h, uint s, uint used, uint S, uint D, uint qw, uint base, float m, float l, float acc[MAXD / WG]);
bool qStaged;
#define Q_STAGED qStaged
#include "split_slice.glsl"

// (Declared above: split_slice.glsl calls it; defined here, after SLICES_MAX_SUM.)
void taggedSlice(uint r, uint h, uint s, uint used, uint S, uint D, uint qw, uint base, float m, float l, float acc[MAXD / WG]) {
    uint t = gl_LocalInvocationID.x, last = used - 1u;
    Tagged P = Tagged(stages[curStage].ptr[11]);
    if (s != last) {
        uint o = base + s * (D + 2u);
        if (t == 0u) { tstore(P, o, m, tagNow); tstore(P, o + 1u, l, tagNow); }
        [[unroll]] for (uint k = 0u; k < MAXD / WG; k++) {
            uint d = t + WG * k;
            if (d < D) tstore(P, o + 2u + d, acc[k], tagNow);
        }
        return;
    }
    // The others' maxima and sums (invocation s2 < last: slice s2's) to sc, and their values
    // to xsh (free after attend: value d of slice s2 at s2·D + d), TMERGE·WG values a pass,
    // every invocation's loads issued before it waits for any.
    uint pairs = last * D, spins = 0u;
    for (uint p0 = 0u; p0 < pairs; p0 += TMERGE * WG) {
        uvec2 pv[TMERGE];
        [[unroll]] for (uint i = 0u; i < TMERGE; i++) {
            uint p = min(p0 + t + i * WG, pairs - 1u), s2 = p / D;
            pv[i] = tload(P, base + s2 * (D + 2u) + 2u + p - s2 * D);
        }
        uint mo = base + min(t, last) * (D + 2u);
        bool ml = p0 == 0u && t < last;
        uvec2 mx = ml ? tload(P, mo) : uvec2(0u, tagNow), sm = ml ? tload(P, mo + 1u) : uvec2(0u, tagNow);
        while ((mx.y != tagNow || sm.y != tagNow) && !flowGaveUp) {
            spinWait(spins);
            if (mx.y != tagNow) mx = tload(P, mo);
            if (sm.y != tagNow) sm = tload(P, mo + 1u);
        }
        if (ml) { sc[2u * t] = uintBitsToFloat(mx.x); sc[2u * t + 1u] = uintBitsToFloat(sm.x); }
        [[unroll]] for (uint i = 0u; i < TMERGE; i++) {
            uint p = p0 + t + i * WG, s2 = p / D;
            if (p < pairs) {
                uint at = base + s2 * (D + 2u) + 2u + p - s2 * D;
                while (pv[i].y != tagNow && !flowGaveUp) { spinWait(spins); pv[i] = tload(P, at); }
                xsh[p] = uintBitsToFloat(pv[i].x);
            }
        }
    }
    if (t == 0u) { sc[2u * last] = m; sc[2u * last + 1u] = l; }
    barrier();
    SLICES_MAX_SUM(used)
    [[unroll]] for (uint k = 0u; k < MAXD / WG; k++) {
        uint d = t + WG * k;
        if (d < D) {
            float a = 0.0;
            for (uint s2 = 0u; s2 < last; s2++) a += exp(sc[2u * s2] - big) * xsh[s2 * D + d];
            a += exp(sc[2u * last] - big) * acc[k];
            SLICE_OUT(r * qw + h * D + d, a / tot)
        }
    }
}

// The fused output projection (K_FUSED at si + 1) of head h's output (in qsh): replica rep of
// R takes the rep-th of R equal parts of the output elements, and adds each one's share from
// the head's D input columns to the counted output; an invocation's weight loads of 64 columns
// are all issued before it uses any. Every invocation calls it.
void fusedHead(uint si, uint h, uint D, uint rep, uint R) {
    uint t = gl_LocalInvocationID.x;
    wref = Words(stages[si + 1u].ptr[3]);
    uint K = stages[si + 1u].push[2], N = stages[si + 1u].push[3], nOff = stages[si + 1u].push[6], k0 = h * D;
    uint per = (N + R - 1u) / R, n1 = min(N, rep * per + per);
    Tagged dst = countedSet(si + 1u, 8u, 9u);
    for (uint n = rep * per + t; n < n1; n += WG) {
        float a = 0.0;
        for (uint d0 = 0u; d0 < D; d0 += 64u) {
#if !defined(W_F32)
            uvec4 raw[8];
            [[unroll]] for (uint i = 0u; i < 8u; i++) {
                uint k = k0 + min(d0 + 8u * i, D - 8u);
                raw[i] = raw8(n * K + (k & ~31u), (k & 31u) >> 3);
            }
#endif
            [[unroll]] for (uint i = 0u; i < 8u; i++) {
                uint d = d0 + 8u * i, k = k0 + d;
                if (d < D) {
                    float w[8];
#if !defined(W_F32)
                    decode8(raw[i], n * K + (k & ~31u), (k & 31u) >> 3, w);
#else
                    dequant8(n * K + (k & ~31u), (k & 31u) >> 3, w);
#endif
                    [[unroll]] for (uint j = 0u; j < 8u; j++) a += w[j] * qsh[d + j];
                }
            }
        }
        countedAdd(dst, nOff + n, D, a);
    }
    barrier();
}

// Before attention unit (row r, head h of kv head g) in dataflow mode: waits for the new
// keys and values of rows 0 … r (when the stage has them), which come with their tags, and
// stages them for attend (freshFrom); when q is tagged, stages the scaled query row in qsh
// (qStaged) — each invocation issues all of its loads before it waits on any, so the unit
// waits on memory once, not once per kind of input. Where freshKeys is false (run flag 8,
// or more than FRESH_MAX values per row set) the new keys are read from the caches instead,
// after an acquire (the QKV stage then fences its cache writes before tagging them).
void flowAttentionInputs(uint si, uint r, uint h, uint g, float scale) {
    uint t = gl_LocalInvocationID.x;
    bool keys = stages[si].ptr[10] != uvec2(0u), qt = (stages[si].flags & 2u) != 0u;
    Tagged kn = Tagged(stages[si].ptr[10]), QT = Tagged(stages[si].ptr[0]);
    uint D = stages[si].push[4], kvd = stages[si].push[3] * D, qw = stages[si].push[2] * D;
    bool fresh = keys && freshKeys(affine(uvec2(stages[si].push[0], stages[si].push[1])), D);
    for (uint r2 = 0u; r2 <= r; r2++) {
        for (uint d = t; d < D; d += WG) {
            uint ik = r2 * 2u * kvd + g * D + d, iq = r2 * qw + h * D + d;
            bool wantQ = qt && r2 == r && (run.flags & 4u) == 0u;
            uvec2 a = keys ? tload(kn, ik) : uvec2(0u, tagNow);
            if ((run.flags & 4u) != 0u) { uint spins = 0u; while (a.y != tagNow && !flowGaveUp) { spinWait(spins); a = tload(kn, ik); } }
            uvec2 b = keys ? tload(kn, ik + kvd) : uvec2(0u, tagNow);
            uvec2 q = wantQ ? tload(QT, iq) : uvec2(0u, tagNow);
            uint spins = 0u;
            while ((a.y != tagNow || b.y != tagNow || q.y != tagNow) && !flowGaveUp) {
                spinWait(spins);
                if (a.y != tagNow) a = tload(kn, ik);
                if (b.y != tagNow) b = tload(kn, ik + kvd);
                if (q.y != tagNow) q = tload(QT, iq);
            }
            if (wantQ) qsh[d] = uintBitsToFloat(q.x) * scale;
            if (fresh) { sc[CH / 2u + r2 * D + d] = uintBitsToFloat(a.x); sc[CH / 2u + FRESH_MAX + r2 * D + d] = uintBitsToFloat(b.x); }
        }
    }
    if (keys && !fresh) memoryBarrier(gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsAcquire);
    freshFrom = fresh ? STEP_P : 0xFFFFFFFFu;
    qStaged = qt && (run.flags & 4u) == 0u;
    barrier();
}

// attention_split.comp's work, (row, head, slice) units spread over the workgroups. Units of
// slices past the ones in use have nothing to do (the merge reads only those in use).
void attentionStage(uint si) {
    uint rows = affine(uvec2(stages[si].push[0], stages[si].push[1]));
    uint heads = stages[si].push[2], S = stages[si].push[7];
    q_a = Floats(stages[si].ptr[0]);
    kc_a = Cache(stages[si].ptr[1]); vc_a = Cache(stages[si].ptr[2]);
    kr4_a = Raw4(stages[si].ptr[1]); vr4_a = Raw4(stages[si].ptr[2]);
    counters_a = Uints(stages[si].ptr[3]); y_a = Floats(stages[si].ptr[4]); part_a = Floats(stages[si].ptr[5]);
    if (flow) flowOutputs(si);
    fuseOut = flow && (stages[si].flags & 64u) != 0u;
    if (gl_LocalInvocationID.x == 0u) headOut = 0u;
    // With the output projection fused (one row), R replicas of each head's last slice in use
    // (push[15]) each take a part of the projection: units h·inUse + s, then the replicas.
    // Where the slices would merge counted, not tagged, one.
    uint R = fuseOut ? max(stages[si].push[15], 1u) : 1u, units = rows * heads * S, inUse = S;
    if (R > 1u) {
        uint lo, hi;
        sliceKeys(0u, 0u, S, stages[si].push[5], lo, hi, inUse);
        if (inUse > 1u && !TAGGED_SLICES(inUse, stages[si].push[4])) R = 1u;
        else units = heads * (inUse + R - 1u);
    }
    // Trace slot 1: when the unit's inputs are in (a workgroup without a unit: its start).
    MARK(si, 1u)
    for (uint u = wgId; u < units; u += run.groups) {
        uint r = u / (heads * S), h = (u % (heads * S)) / S, s = u % S, rep = 0u;
        if (R > 1u) {
            r = 0u;
            if (u < heads * inUse) { h = u / inUse; s = u % inUse; }
            else { uint v = u - heads * inUse; rep = 1u + v / heads; h = v % heads; s = inUse - 1u; }
        }
        uint g = h / (heads / stages[si].push[3]);
        uint lo, hi, used, D = stages[si].push[4];
        sliceKeys(r, s, S, stages[si].push[5], lo, hi, used);
        if (s >= used) continue;
        uint n = min(hi, STEP_P) - min(lo, STEP_P);
        // A slice longer than a chunk: its first chunk's keys.
        preN = (run.flags & 32u) == 0u ? min(n, PRE_KEYS(D)) : 0u;
        kswz = (run.flags & 64u) == 0u ? keySwizzle(D) : 0u;
        if (preN > 0u) preloadSlice(lo, preN, stages[si].push[3] * D, g * D, D);
        qStaged = false;
        freshFrom = 0xFFFFFFFFu;
        if (flow) flowAttentionInputs(si, r, h, g, uintBitsToFloat(stages[si].push[6]));
        MARK(si, 1u)
        splitSlice(r, h * S + s, heads, stages[si].push[3], stages[si].push[4], stages[si].push[5],
                   uintBitsToFloat(stages[si].push[6]), S);
        if (fuseOut) {
            // splitSlice ended at a barrier: headOut is the same for every invocation.
            bool mine = headOut != 0u;
            barrier();
            if (mine) fusedHead(si, h, D, rep, R);
            if (gl_LocalInvocationID.x == 0u) headOut = 0u;
        }
    }
}
