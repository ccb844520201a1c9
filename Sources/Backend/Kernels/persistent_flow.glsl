// The persistent kernel's dataflow mode (flag 8 of stage 0's flags): no grid barriers. A
// value that one stage writes and a later stage of the same run reads goes through a tagged
// copy, each element a pair (float bits, tag) written in one 8-byte store with this run's
// tag (sync.gen + 1). A reader waits until an element carries the run's tag, so a stage
// starts as soon as its own inputs are there, and a workgroup with no share of a stage goes
// straight on to the next one (issuing that one's weight loads). What plain dispatches or
// the host read after the run is also written plainly. New keys and values go to the caches
// and, after a fence, their tags to a tagged array the attention stage waits on.
// Included by persistent.glsl after its operands, the row staging and qkvpairs.glsl.
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#extension GL_EXT_shader_atomic_int64 : require
layout(buffer_reference, std430, buffer_reference_align = 8) coherent buffer Tagged { uint64_t d[]; };

// A tagged element (bits, tag): one 64-bit atomic load or store, so a reader that sees the
// tag sees the value written with it.
uvec2 tload(Tagged b, uint i) { return unpackUint2x32(atomicLoad(b.d[i], gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsRelaxed)); }
void tstore(Tagged b, uint i, float v, uint tag) {
    atomicStore(b.d[i], packUint2x32(uvec2(floatBitsToUint(v), tag)), gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsRelaxed);
}

bool flow, flowGaveUp;
uint tagNow, curStage;
// The workgroup's index within the current stage: in dataflow mode rotated by the stage's
// offset (flags >> 16), so that consecutive stages use different workgroups and a stage's
// workgroups issue its weight loads while the stage before it still runs.
uint wgId;
shared uint gaveUp, lastIn;
// The current stage's output: plainly (ptr 4, when not 0) and tagged (ptr 8, when not 0).
Floats outPlain;
Tagged outTagged;
bool hasPlain, hasTagged;

void zeroCounted();
void flowBegin() {
    flow = (stages[0].flags & 8u) != 0u;
    flowGaveUp = false;
    tagNow = atomicLoad(sync.gen, gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsRelaxed) + 1u;
    // A spin limit of 0 gives up at once (the executor's fallback is tested that way).
    if (flow && run.spinLimit == 0u) {
        atomicExchange(sync.failed, 1u);
        flowGaveUp = true;
    }
    if (gl_LocalInvocationID.x == 0u) gaveUp = 0u;
    if (flow) zeroCounted();
    barrier();
}

// Every workgroup counts itself out; the last advances the generation for the next run
// (every workgroup has read it by then) and resets the grid barriers' arrival counter (every
// workgroup is past its last barrier), so a chain's next step need not clear it.
void flowEnd() {
    barrier();
    if (gl_LocalInvocationID.x == 0u && atomicAdd(sync.exits, 1u) == run.groups - 1u) {
        atomicExchange(sync.arrived, 0u);
        atomicExchange(sync.exits, 0u);
        atomicExchange(sync.gen, tagNow);
    }
}

// One more poll of a tagged value; past the spin limit, or once another workgroup gave up,
// this invocation gives up (its workgroup stops at the next stage).
void spinWait(inout uint spins) {
    spins++;
    if ((spins & 63u) == 0u && (spins > run.spinLimit
        || atomicLoad(sync.failed, gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsRelaxed) != 0u)) {
        atomicExchange(sync.failed, 1u);
        flowGaveUp = true;
    }
}

float tagged(Tagged b, uint i) {
    uvec2 v = tload(b, i);
    uint spins = 0u;
    while (v.y != tagNow && !flowGaveUp) { spinWait(spins); v = tload(b, i); }
    return uintBitsToFloat(v.x);
}

// Counted sums: where a matrix stage was fused into the stage before it (stage flag 64 on
// that one; the matrix stage's kind is K_FUSED; PersistentFusion.swift), each unit of that
// stage that does a part of the product (persistent_attention.glsl's fusedHead) adds its
// share to the output with one 64-bit atomic add per element: the share in fixed point
// (COUNT_FIX fractional bits, at most 4e6 in magnitude) plus, from bit 48, how many of the
// matrix's input columns it covered. An element is complete when its count reaches the
// matrix's input width (K < 65536), which its readers (stage flag 128: x2 is counted, with
// the width in push[15]) wait for, as for a tag. Integer sums do not depend on the order of
// the additions. Two sets per output (slots 8 and 9 of the fused stage; the readers' slots 1
// and 11), one per run's tag parity: a run zeroes the other set (flowBegin), which the run
// before it used and the next one uses.
const float COUNT_FIX = 16777216.0;
Tagged countedSet(uint si, uint even, uint odd) { return Tagged(stages[si].ptr[(tagNow & 1u) == 0u ? even : odd]); }
void countedAdd(Tagged b, uint i, uint columns, float v) {
    int64_t f = int64_t(round(clamp(v, -4.0e6, 4.0e6) * COUNT_FIX));
    atomicAdd(b.d[i], (uint64_t(columns) << 48) + uint64_t(f));
}
// A counted element as tload returns it: its count, rounded so that a negative value's borrow
// from bit 48 does not change it (|value| < 2^47 units), and its value.
uint countedCount(uvec2 raw) { return uint((packUint2x32(raw) + (uint64_t(1) << 47)) >> 48) & 0xFFFFu; }
float countedValue(uvec2 raw) {
    uint64_t t = packUint2x32(raw);
    return float(int64_t(t - (uint64_t(countedCount(raw)) << 48))) * (1.0 / COUNT_FIX);
}
// The current stage's x2 when counted (stage flag 128), else tagged as usual.
bool x2Counted;
uint x2Want;
Tagged x2Source(uint si) {
    x2Counted = (stages[si].flags & 128u) != 0u;
    x2Want = stages[si].push[15] & 0xFFFFu;
    return x2Counted ? countedSet(si, 1u, 11u) : Tagged(stages[si].ptr[1]);
}
bool x2Ready(uvec2 b) { return x2Counted ? countedCount(b) == x2Want : b.y == tagNow; }
float x2Value(uvec2 b) { return x2Counted ? countedValue(b) : uintBitsToFloat(b.x); }
// At the start of a run: the sets of the fused stages that the previous run used (stage s by
// workgroup s mod groups).
void zeroCounted() {
    uint t = gl_LocalInvocationID.x;
    for (uint s = gl_WorkGroupID.x; s < run.count; s += run.groups) {
        if (stages[s].kind != K_FUSED) continue;
        Tagged other = countedSet(s, 9u, 8u);
        uint N = stages[s].push[3], nOff = stages[s].push[6];
        for (uint i = t; i < N; i += WG) other.d[nOff + i] = uint64_t(0);
    }
}

void flowOutputs(uint si) {
    outPlain = Floats(stages[si].ptr[4]);
    outTagged = Tagged(stages[si].ptr[8]);
    hasPlain = stages[si].ptr[4] != uvec2(0u);
    hasTagged = stages[si].ptr[8] != uvec2(0u);
}

void outStore(uint i, float v) {
    if (hasPlain) outPlain.d[i] = v;
    if (hasTagged) tstore(outTagged, i, v, tagNow);
}

// Values (and their partners and norm weights) each invocation of a row's staging loads before
// it waits for any. Three cover the 576-value rows of SmolLM2-135M in one pass; six (the
// value before session 15) kept more registers live beside the matrix stages' early weight
// loads, and the kernel spilled more (H200: 256 bytes of local memory, 128 registers; with
// three 144 bytes, 114 registers, tg128 +3.5 %).
const uint ROWB = 3u;

// stageRow in dataflow mode (K ≤ XMAX): ROWB values per invocation in flight, each waited
// for until tagged; workgroup 0 writes the sums of the add prologue (plainly and tagged).
void stageRowFlow(uint r, uint K, float eps) {
    uint t = gl_LocalInvocationID.x, si = curStage;
    bool xt = (stages[si].flags & 2u) != 0u, x2t = (stages[si].flags & 4u) != 0u;
    Tagged XT = Tagged(stages[si].ptr[0]), X2T = x2Source(si), ST = Tagged(stages[si].ptr[9]);
    bool sumsPlain = stages[si].ptr[7] != uvec2(0u), sumsTagged = stages[si].ptr[9] != uvec2(0u);
    xStaged = true;
    float s = 0.0;
    for (uint k0 = t; k0 < K; k0 += ROWB * WG) {
        uvec2 a[ROWB], b[ROWB];
        float nw[ROWB];
        [[unroll]] for (uint i = 0u; i < ROWB; i++) {
            uint k = min(k0 + i * WG, K - 1u), idx = r * K + k;
            a[i] = xt ? tload(XT, idx) : uvec2(floatBitsToUint(X.d[idx]), tagNow);
            b[i] = normMode != 2u ? uvec2(0u, tagNow) : (x2t ? tload(X2T, idx) : uvec2(floatBitsToUint(X2.d[idx]), tagNow));
            nw[i] = normMode != 0u ? NW.d[k] : 1.0;
        }
        [[unroll]] for (uint i = 0u; i < ROWB; i++) {
            uint k = k0 + i * WG, idx = r * K + k;
            if (k < K) {
                uint spins = 0u;
                while (a[i].y != tagNow && !flowGaveUp) { spinWait(spins); a[i] = tload(XT, idx); }
                while (!x2Ready(b[i]) && !flowGaveUp) { spinWait(spins); b[i] = tload(X2T, idx); }
                float v = uintBitsToFloat(a[i].x) + x2Value(b[i]);
                if (normMode == 2u && wgId == 0u) {
                    if (sumsPlain) SUMS.d[idx] = v;
                    if (sumsTagged) tstore(ST, idx, v, tagNow);
                }
                xsh[k] = v * nw[i];
                s += v * v;
            }
        }
    }
    if (normMode != 0u) {
        float inv = inversesqrt(wgSum(s) / float(K) + eps);
        for (uint k = t; k < K; k += WG) xsh[k] *= inv;
    }
    barrier();
}

// Whether the attention stage reads this step's keys and values (rows of heads of D) from
// their tagged copies rather than from the caches (run flag 8: never).
bool freshKeys(uint rows, uint D) { return (run.flags & 8u) == 0u && rows * D <= FRESH_MAX; }
// Whether the current QKV stage fences its cache writes before tagging the new keys (set by
// matrixStage: where freshKeys is false).
bool fenceKeys;

// stageRowFlow for the usual stages, whose inputs are all tagged: without an add prologue
// (add false; no norm) or with it (x and x2 tagged). No load chooses between a tagged and a
// plain read, so each invocation's loads issue back to back.
void stageRowTagged(uint r, uint K, float eps, bool add) {
    uint t = gl_LocalInvocationID.x, si = curStage;
    Tagged XT = Tagged(stages[si].ptr[0]), X2T = x2Source(si), ST = Tagged(stages[si].ptr[9]);
    bool sumsPlain = stages[si].ptr[7] != uvec2(0u), sumsTagged = stages[si].ptr[9] != uvec2(0u);
    xStaged = true;
    float s = 0.0;
    for (uint k0 = t; k0 < K; k0 += ROWB * WG) {
        uvec2 a[ROWB], b[ROWB];
        float nw[ROWB];
        if (add) {
            [[unroll]] for (uint i = 0u; i < ROWB; i++) {
                uint k = min(k0 + i * WG, K - 1u), idx = r * K + k;
                a[i] = tload(XT, idx);
                b[i] = tload(X2T, idx);
                nw[i] = NW.d[k];
            }
        } else {
            [[unroll]] for (uint i = 0u; i < ROWB; i++) a[i] = tload(XT, r * K + min(k0 + i * WG, K - 1u));
        }
        [[unroll]] for (uint i = 0u; i < ROWB; i++) {
            uint k = k0 + i * WG, idx = r * K + k;
            if (k < K) {
                uint spins = 0u;
                while (a[i].y != tagNow && !flowGaveUp) { spinWait(spins); a[i] = tload(XT, idx); }
                float v = uintBitsToFloat(a[i].x);
                if (add) {
                    while (!x2Ready(b[i]) && !flowGaveUp) { spinWait(spins); b[i] = tload(X2T, idx); }
                    v += x2Value(b[i]);
                    if (wgId == 0u) {
                        if (sumsPlain) SUMS.d[idx] = v;
                        if (sumsTagged) tstore(ST, idx, v, tagNow);
                    }
                    xsh[k] = v * nw[i];
                    s += v * v;
                } else {
                    xsh[k] = v;
                }
            }
        }
    }
    if (add) {
        float inv = inversesqrt(wgSum(s) / float(K) + eps);
        for (uint k = t; k < K; k += WG) xsh[k] *= inv;
    }
    barrier();
}

// QKV_STORE in dataflow mode: q plainly and/or tagged; keys and values into the caches (for
// later steps) and, tagged, at ptr 10 (row t: 2·kvd entries, keys then values), rounded as
// the cache stores them: the attention stage reads this step's keys from there, so no fence
// orders the two (where it reads the caches, freshKeys false, the cache writes are fenced).
void qkvStoreFlow(uint t, float va, float vb, uint ca, uint cb, uint fi, bool rotate, uint qd, uint kvd) {
    uint pos = STEP_P + t;
    if (rotate) ropeRotate(pos, fi, pc.base, pc.dims, va, vb);
    if (ca < qd) {
        outStore(t * qd + ca, va);
        outStore(t * qd + cb, vb);
        return;
    }
    if (pos < pc.capacity) {
        if (ca < qd + kvd) { kc[pos * kvd + ca - qd] = KVT(va); kc[pos * kvd + cb - qd] = KVT(vb); }
        else { vc[pos * kvd + ca - qd - kvd] = KVT(va); vc[pos * kvd + cb - qd - kvd] = KVT(vb); }
    }
    if (fenceKeys) memoryBarrierBuffer();
    Tagged kn = Tagged(stages[curStage].ptr[10]);
    tstore(kn, t * 2u * kvd + ca - qd, float(KVT(va)), tagNow);
    tstore(kn, t * 2u * kvd + cb - qd, float(KVT(vb)), tagNow);
}
