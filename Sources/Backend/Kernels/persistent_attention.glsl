// The persistent kernel's attention when the matrix stage after it merges the slices
// (attention stage norm field 1, "partials only"; the consumer's norm mode 3). Every
// (row, head, slice) unit writes its max, sum and weighted values to the partials and
// nothing else: no counters, no merge by the last slice, no output row. The consuming
// matrix stage merges the slices while it stages its input row (stageMerged), so the merge
// costs no round trip of its own through memory.
// A slice of at most 1024 quads of keys (64 keys of 64 dims) is scored from registers:
// the quads of its keys and values before P are loaded while the workgroup waits at the grid
// barrier before the stage (the stage before writes only rows P…), so after the barrier the
// unit waits only for its query and the new rows. The registers are locals of
// attentionPartials, so they cost nothing in the other stages.
// Before including: persistent.glsl's attention operands (q_a, kc4_a, vc4_a, part_a), qsh,
// sc, xsh, vsum, arrive/await, reduce.glsl, attend.glsl and split_slice.glsl's sliceKeys.

// Quads per invocation: 1024 per workgroup (xsh holds their 4096 floats).
const uint QPI = 1024u / WG;
// A quad in registers: float16 caches keep it packed (two registers), float32 as is.
#if defined(KV_F16)
#define RQ uvec2
RQ packQ(vec4 v) { return uvec2(packHalf2x16(v.xy), packHalf2x16(v.zw)); }
vec4 unpackQ(RQ q) { return vec4(unpackHalf2x16(q.x), unpackHalf2x16(q.y)); }
#else
#define RQ vec4
RQ packQ(vec4 v) { return v; }
vec4 unpackQ(RQ q) { return q; }
#endif

struct Unit { uint r; uint h; uint s; uint g; uint lo; uint hi; uint used; uint D; uint kw; };

// Unit u of attention stage si: row, head, slice, kv head, keys, slices in use.
Unit unitOf(uint si, uint u) {
    Unit x;
    uint heads = stages[si].push[2], kvHeads = stages[si].push[3], S = stages[si].push[7];
    x.D = stages[si].push[4];
    x.kw = kvHeads * x.D;
    x.r = u / (heads * S);
    x.h = (u % (heads * S)) / S;
    x.s = u % S;
    x.g = x.h / (heads / kvHeads);
    sliceKeys(x.r, x.s, stages[si].push[5], S, x.lo, x.hi, x.used);
    return x;
}

uint stageUnits(uint si) {
    return affine(uvec2(stages[si].push[0], stages[si].push[1])) * stages[si].push[2] * stages[si].push[7];
}

// Whether the unit's keys and values fit the registers (QPI quads each per invocation).
bool inRegisters(Unit x) { return (x.D & 3u) == 0u && (x.hi - x.lo) * (x.D / 4u) <= QPI * WG; }

// Loads the quads of the unit's keys in [a, b) (b ≤ hi): quad i = c·D/4 + j of key lo + c
// goes to invocation i % WG, register i / WG.
void loadQuads(Unit x, uint a, uint b, inout RQ kq[QPI], inout RQ vq[QPI]) {
    uint t = gl_LocalInvocationID.x, dq = x.D / 4u;
    [[unroll]] for (uint j = 0u; j < QPI; j++) {
        uint i = t + j * WG, key = x.lo + i / dq;
        if (key >= a && key < b) {
            uint e = (key * x.kw + x.g * x.D) / 4u + i % dq;
            kq[j] = packQ(vec4(kc4_a.d[e]));
            vq[j] = packQ(vec4(vc4_a.d[e]));
        }
    }
}

// The unit's scores, softmax and weighted values from the registers; the query (scaled)
// is in qsh. Partial dot products of the quads meet in xsh, scores in sc, and the weighted
// values go back to xsh (key c, dim d at c·D + d) to be summed over keys per dim.
void attendRegisters(Unit x, RQ kq[QPI], RQ vq[QPI], out float m, out float l, inout float acc[DPI]) {
    uint t = gl_LocalInvocationID.x, D = x.D, dq = D / 4u, cnt = x.hi - x.lo;
    [[unroll]] for (uint j = 0u; j < QPI; j++) {
        uint i = t + j * WG;
        if (i < cnt * dq) {
            uint d = (i % dq) * 4u;
            xsh[i] = dot(vec4(qsh[d], qsh[d + 1u], qsh[d + 2u], qsh[d + 3u]), unpackQ(kq[j]));
        }
    }
    barrier();
    float cm = -3.4e38;
    for (uint c = t; c < cnt; c += WG) {
        float s = 0.0;
        for (uint q = 0u; q < dq; q++) s += xsh[c * dq + q];
        sc[c] = s;
        cm = max(cm, s);
    }
    m = wgMax(cm);
    float part = 0.0;
    for (uint c = t; c < cnt; c += WG) { float e = exp(sc[c] - m); sc[c] = e; part += e; }
    l = wgSum(part);
    [[unroll]] for (uint j = 0u; j < QPI; j++) {
        uint i = t + j * WG;
        if (i < cnt * dq) {
            vec4 w = sc[i / dq] * unpackQ(vq[j]);
            xsh[4u * i] = w.x; xsh[4u * i + 1u] = w.y; xsh[4u * i + 2u] = w.z; xsh[4u * i + 3u] = w.w;
        }
    }
    barrier();
    // WG / D sets of D invocations each sum every (WG / D)-th key, then meet in vsum.
    uint groups = WG / D, d = t % D, g = t / D;
    float a = 0.0;
    if (g < groups) for (uint c = g; c < cnt; c += groups) a += xsh[c * D + d];
    vsum[t] = a;
    barrier();
    if (t < D) {
        float tot = 0.0;
        for (uint g2 = 0u; g2 < groups; g2++) tot += vsum[g2 * D + t];
        acc[0] = tot;
    }
}

// One unit of partials-only attention stage si; `from`: its first key not yet in kq/vq (lo
// when nothing was preloaded). The quads are used only on the register path, so on the
// other (attend.glsl) they hold no registers.
void attentionUnit(uint si, uint u, uint from, inout RQ kq[QPI], inout RQ vq[QPI]) {
    Unit x = unitOf(si, u);
    if (x.s >= x.used) return;
    uint heads = stages[si].push[2], S = stages[si].push[7], t = gl_LocalInvocationID.x;
    uint D = x.D, qw = heads * D;
    float scale = uintBitsToFloat(stages[si].push[6]);
    float m = -3.4e38, l = 0.0;
    float acc[DPI];
    [[unroll]] for (uint k = 0u; k < DPI; k++) acc[k] = 0.0;
    if (inRegisters(x)) {
        loadQuads(x, max(x.lo, from), x.hi, kq, vq);
        for (uint d = t; d < D; d += WG) qsh[d] = q_a.d[x.r * qw + x.h * D + d] * scale;
        barrier();
        attendRegisters(x, kq, vq, m, l, acc);
    } else {
        for (uint d = t; d < D; d += WG) qsh[d] = q_a.d[x.r * qw + x.h * D + d] * scale;
        barrier();
        attend(x.lo, x.hi, x.kw, x.g * D, D, m, l, acc);
    }
    uint o = (x.r * heads * S + x.h * S + x.s) * (D + 2u);
    if (t == 0u) { part_a.d[o] = m; part_a.d[o + 1u] = l; }
    [[unroll]] for (uint k = 0u; k < DPI; k++) {
        uint d = t + WG * k;
        if (d < D) part_a.d[o + 2u + d] = acc[k];
    }
    // qsh, sc and xsh are reused by the next unit.
    barrier();
}

// Attention stage si in partials-only mode, with the grid barrier before it when `gate`
// (epoch: its count). While waiting there, the workgroup loads the rows before P of its
// first unit when they fit the registers. The first unit is done apart from the others, so
// the preloaded quads are dead after it. False when the barrier gave up.
bool attentionPartials(uint si, uint epoch, bool gate) {
    q_a = Floats(stages[si].ptr[0]);
    kc_a = Cache(stages[si].ptr[1]); kc4_a = Cache4(stages[si].ptr[1]);
    vc_a = Cache(stages[si].ptr[2]); vc4_a = Cache4(stages[si].ptr[2]);
    part_a = Floats(stages[si].ptr[5]);
    uint u = gl_WorkGroupID.x, units = stageUnits(si), from = 0u;
    // (Read only where loaded: no initial values to hold through the barrier.)
    RQ kq[QPI], vq[QPI];
    if (gate) {
        arrive(epoch, si);
        if (u < units && (run.flags & 2u) == 0u) {
            Unit x = unitOf(si, u);
            if (x.s < x.used && inRegisters(x)) {
                loadQuads(x, x.lo, min(x.hi, stepv.P), kq, vq);
                from = stepv.P;
            }
        }
        await(epoch, si);
        if (gaveUp != 0u) return false;
    }
    MARK(si, 0u)
    if (u < units) attentionUnit(si, u, from, kq, vq);
    for (u += run.groups; u < units; u += run.groups) {
        RQ k2[QPI], v2[QPI];
        attentionUnit(si, u, 0u, k2, v2);
    }
    return true;
}

// Norm mode 3: row r of a matrix stage's input is attention stage si − 1's output, merged
// from its slices' partials into xsh: slice s of head h weighs exp(m_s − M)/L, M the head's
// largest max and L = Σ exp(m_s − M)·l_s. Each invocation's elements of the row (t, t + WG,
// …) take their weighted values of every slice in one batch of loads when they fit MV
// registers.
const uint MV = 8u;
void stageMerged(uint si, uint r, uint K) {
    uint a = si - 1u, t = gl_LocalInvocationID.x;
    uint heads = stages[a].push[2], D = stages[a].push[4], S = stages[a].push[7];
    Floats part = Floats(stages[a].ptr[5]);
    uint lo, hi, used;
    sliceKeys(r, 0u, stages[a].push[5], S, lo, hi, used);
    uint base = r * heads * S * (D + 2u), E = (K + WG - 1u) / WG, n = heads * used;
    bool batched = E * used <= MV;
    float ov[MV];
    if (batched) {
        [[unroll]] for (uint j = 0u; j < MV; j++) {
            uint e = j / used, s = j % used, k = t + e * WG;
            ov[j] = j < E * used && k < K ? part.d[base + ((k / D) * S + s) * (D + 2u) + 2u + k % D] : 0.0;
        }
    }
    float mv = 0.0;
    if (t < n) {
        uint o = base + ((t / used) * S + t % used) * (D + 2u);
        mv = part.d[o];
        sc[t] = mv;
        sc[512u + t] = part.d[o + 1u];
    }
    for (uint k = t; k < K; k += WG) xsh[k] = 0.0;
    barrier();
    if (t < n) {
        uint h0 = (t / used) * used;
        float big = -3.4e38, tot = 0.0;
        for (uint s = 0u; s < used; s++) big = max(big, sc[h0 + s]);
        for (uint s = 0u; s < used; s++) tot += exp(sc[h0 + s] - big) * sc[512u + h0 + s];
        mv = exp(mv - big) / tot;
    }
    barrier();
    if (t < n) sc[t] = mv;
    barrier();
    if (batched) {
        [[unroll]] for (uint j = 0u; j < MV; j++) {
            uint e = j / used, s = j % used, k = t + e * WG;
            if (j < E * used && k < K) xsh[k] += sc[(k / D) * used + s] * ov[j];
        }
    } else {
        for (uint k = t; k < K; k += WG) {
            uint h = k / D;
            float v = 0.0;
            for (uint s = 0u; s < used; s++) v += sc[h * used + s] * part.d[base + (h * S + s) * (D + 2u) + 2u + k % D];
            xsh[k] = v;
        }
    }
    barrier();
}
