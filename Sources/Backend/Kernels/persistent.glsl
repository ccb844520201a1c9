// The body of the persistent kernel (persistent.comp, and persistent_trace.comp with TRACE).
#extension GL_EXT_buffer_reference : require
#extension GL_EXT_buffer_reference_uvec2 : require
#extension GL_KHR_shader_subgroup_arithmetic : enable
#extension GL_KHR_shader_subgroup_basic : enable
#extension GL_KHR_memory_scope_semantics : require
#define RED_SUBGROUP 1
// Big workgroups: the grid barrier's cost grows with the number of workgroups, the
// matrix stages' speed with the number of subgroups in flight.
#define WG 256u
layout(local_size_x = 256) in;
// In a chain with a fused tail (ExecutorChainTail.swift) no kernel advances the position
// between steps: step i of the chain runs at P + i (push constant chainStep; 0 otherwise).
#define STEP_P (stepv.P + run.chainStep)
#include "common.glsl"
#include "reduce.glsl"
#include "kvcache.glsl"

// Activations, caches and partial results: written by some workgroups and read by others
// after a grid barrier, so never served from a non-coherent cache.
layout(buffer_reference, std430, buffer_reference_align = 4) coherent buffer Floats { float d[]; };
layout(buffer_reference, std430, buffer_reference_align = 4) coherent buffer Uints { uint d[]; };
layout(buffer_reference, std430, buffer_reference_align = 16) coherent buffer Quads { vec4 d[]; };
// The K/V caches (element type KVT).
layout(buffer_reference, std430, buffer_reference_align = 4) coherent buffer Cache { KVT d[]; };
// Their words four values at a time (preloadSlice).
#if defined(KV_F16)
#define RAW4 uvec2
#else
#define RAW4 uvec4
#endif
layout(buffer_reference, std430, buffer_reference_align = 8) coherent buffer Raw4 { RAW4 d[]; };
// Weights and norm weights: read only.
layout(buffer_reference, std430, buffer_reference_align = 4) readonly buffer Words { uint d[]; };
layout(buffer_reference, std430, buffer_reference_align = 4) readonly buffer Consts { float d[]; };

const uint K_MATMUL = 0u, K_SWIGLU = 1u, K_GEGLU = 2u, K_QKV = 3u, K_ATTENTION = 4u;
// A matrix stage fused into the stage before it (persistent_flow.glsl's counted sums): no work
// of its own.
const uint K_FUSED = 5u;
// One stage: its kind, the norm prologue (0 none, 1 rms, 2 add + rms), whether a grid
// barrier precedes it, the push constants of its own kernel, and its operands in canonical
// slots (matrix kinds: x, x2, norm weight, weight, out0, out1, out2, sums; attention: q, k,
// v, counters, y, partials).
// In dataflow mode (flag 8 of stage 0's flags) slots 8-10 are the tagged copies
// (persistent_flow.glsl) of out0 and the sums and the new keys and values; flags 2 and 4
// say that x and x2 are read from tagged copies, flag 128 that x2 is counted, flag 64 that the
// next stage (K_FUSED) is done by this one. Stage flag 1 turns off the early loads.
struct Stage { uint kind; uint norm; uint barrierBefore; uint flags; uint push[16]; uvec2 ptr[12]; };
layout(std430, binding = 1) readonly buffer Stages { Stage stages[]; };
// The arrival counter, the give-up flag, a sink for prefetched values, and (not cleared
// between runs) the run's tag generation and the count of workgroups that finished it.
layout(std430, binding = 2) coherent buffer Sync { uint arrived; uint failed; uint sink; uint pad; uint gen; uint exits; } sync;
layout(push_constant) uniform Run { uint count; uint spinLimit; uint groups; uint flags; uvec2 trace; uint chainStep; } run;

#if defined(TRACE)
#extension GL_EXT_shader_realtime_clock : require
layout(buffer_reference, std430, buffer_reference_align = 8) buffer Stamps { uvec2 t[]; };
// Stamp `slot` of stage si for this workgroup (device clock, nanoseconds): 0 the stage
// starts, 1 its input row is staged, 2 the workgroup arrived at the grid barrier before
// stage si (stage `count`: the end of the run), 3 its prefetch is in flight.
#define MARK(si, slot) if (gl_LocalInvocationID.x == 0u) Stamps(run.trace).t[((si) * run.groups + gl_WorkGroupID.x) * 4u + (slot)] = clockRealtime2x32EXT();
#else
#define MARK(si, slot)
#endif

Words wref;
Floats X, X2, SUMS;
Consts NW;
uint normMode;
shared float invs[1];
// The stage's input row, normalized, staged once per workgroup (when it fits).
const uint XMAX = 4096u;
shared float xsh[XMAX];
// The attention stage stages this step's keys and values (rows·D ≤ FRESH_MAX each; freshKeys)
// in the upper half of its score array, and its cached keys and values in xsh.
const uint FRESH_MAX = 256u;
bool xStaged;

#define WBUF wref.d
#include "weights.glsl"
// x, or x + x2 with the add prologue.
float xraw(uint idx) {
    float v = X.d[idx];
    if (normMode == 2u) v += X2.d[idx];
    return v;
}
float xv(uint idx, uint k) {
    if (normMode == 0u) return X.d[idx];
    return xraw(idx) * invs[0] * NW.d[k];
}
#define XV(idx, j, k) (xStaged ? xsh[k] : xv(idx, k))
#include "matvec.glsl"
// 1 on CPU drivers (the executor sets it): every subgroup takes as many passes of a matrix
// stage's columns as the busiest one, the extra ones storing nothing. lavapipe computed wrong
// products when the subgroups of its one workgroup took different numbers of passes (a QKV
// stage whose pair count left 1–15 pairs for the last of 32 subgroups' passes). A
// specialization constant, so that GPUs compile the loop as it was.
layout(constant_id = 1) const uint EVEN_PASSES = 0u;
#include "gelu.glsl"

// Shared by the QKV_STORE macro of qkvpairs.glsl, as in qkv_rope.comp.
struct RopeParams { float base; uint dims; uint capacity; };
RopeParams pc;
Floats qs_;
Cache kc_, vc_;
#define qs qs_.d
#define kc kc_.d
#define vc vc_.d
#include "qkvpairs.glsl"
#include "persistent_flow.glsl"

// The norm prologue of row r when the row is not staged (every invocation calls it; it
// synchronizes): 1/rms of x (or x + x2, whose sum workgroup 0 writes out).
void rowNorm(uint r, uint K, float eps) {
    uint t = gl_LocalInvocationID.x;
    float s = 0.0;
    for (uint k = t; k < K; k += WG) {
        float v = xraw(r * K + k);
        if (normMode == 2u && wgId == 0u) SUMS.d[r * K + k] = v;
        s += v * v;
    }
    float tot = wgSum(s);
    if (t == 0u) invs[0] = inversesqrt(tot / float(K) + eps);
    barrier();
}

// Row r as the matrix product sees it (normalized when the stage has a prologue), staged
// in shared memory when it fits, in one pass over memory: each invocation issues the loads
// of eight of its values (and their norm weights) before using any, so a row of up to
// 8·WG values costs one wait on memory, not one per WG values; the raw row times the norm
// weight goes to shared memory while the squares are summed, then is scaled in place.
// Every invocation calls it.
void stageRow(uint r, uint K, float eps) {
    uint t = gl_LocalInvocationID.x;
    xStaged = K <= XMAX;
    if (!xStaged) {
        if (normMode != 0u) rowNorm(r, K, eps);
        return;
    }
    float s = 0.0;
    for (uint k0 = t; k0 < K; k0 += 8u * WG) {
        float v[8], nw[8];
        [[unroll]] for (uint i = 0u; i < 8u; i++) {
            uint k = k0 + i * WG;
            v[i] = k < K ? xraw(r * K + min(k, K - 1u)) : 0.0;
            nw[i] = k < K && normMode != 0u ? NW.d[min(k, K - 1u)] : 1.0;
        }
        [[unroll]] for (uint i = 0u; i < 8u; i++) {
            uint k = k0 + i * WG;
            if (k < K) {
                if (normMode == 2u && wgId == 0u) SUMS.d[r * K + k] = v[i];
                xsh[k] = v[i] * nw[i];
                s += v[i] * v[i];
            }
        }
    }
    if (normMode != 0u) {
        float inv = inversesqrt(wgSum(s) / float(K) + eps);
        for (uint k = t; k < K; k += WG) xsh[k] *= inv;
    }
    barrier();
}

// Two columns' dot products with row r, lanes splitting K in 8-value pieces. With the row
// staged, pieces are taken eight per lane at a time, unrolled, so a subgroup's weight loads
// are all in flight together instead of one piece's after another's.
vec2 dot2(uint n0, uint n1, uint r, uint K) {
    uint lane = gl_SubgroupInvocationID, lanes = gl_SubgroupSize;
    vec2 acc = vec2(0.0);
    if (xStaged && (K & 31u) == 0u) {
        uint pieces = K / 8u;
        for (uint base = 0u; base < pieces; base += 8u * lanes) {
            [[unroll]] for (uint i = 0u; i < 8u; i++) {
                uint c = base + lane + i * lanes;
                if (c < pieces) {
                    uint kb = (c >> 2) * 32u, s = c & 3u;
                    float w0[8], w1[8];
                    dequant8(n0 * K + kb, s, w0);
                    dequant8(n1 * K + kb, s, w1);
                    [[unroll]] for (uint j = 0u; j < 8u; j++) {
                        float xj = xsh[kb + 8u * s + j];
                        acc.x += w0[j] * xj;
                        acc.y += w1[j] * xj;
                    }
                }
            }
        }
    } else {
        float a[R], b[R];
        a[0] = 0.0; b[0] = 0.0;
        rowDots(n0, r, 1u, K, lane, lanes, a);
        rowDots(n1, r, 1u, K, lane, lanes, b);
        acc = vec2(a[0], b[0]);
    }
    return vec2(subgroupAdd(acc.x), subgroupAdd(acc.y));
}

// The first column of matrix stage si this subgroup computes (as matrixStage walks them),
// and the stage's column count.
uint stageColumns(uint si, uint kind, out uint N) {
    uint D = stages[si].push[5];
    if (kind == K_QKV) N = (stages[si].push[3] * D + 2u * stages[si].push[4] * D) / 2u;
    else N = stages[si].push[3];
    return wgId * gl_NumSubgroups + gl_SubgroupID;
}

// The columns (ca, cb) that pass n of a matrix stage multiplies.
void stageColumnsAt(uint kind, uint si, uint n, uint N, uint stride, out uint ca, out uint cb) {
    if (kind == K_MATMUL) { ca = n; cb = min(n + stride, N - 1u); }
    else if (kind == K_QKV) {
        uint D = stages[si].push[5], fi; bool rotate;
        qkvPair(n, stages[si].push[3] * D, stages[si].push[4] * D, D, stages[si].push[6], stages[si].push[7], ca, cb, fi, rotate);
    } else { ca = n; cb = N + n; }
}

#if !defined(W_F32)
// Pieces per lane whose weights a subgroup loads before its input row is staged.
const uint PMAX = 6u;
#endif

void matrixStage(uint kind, uint si) {
    uint rows = affine(uvec2(stages[si].push[0], stages[si].push[1])), K = stages[si].push[2];
    uint N, first = stageColumns(si, kind, N), stride = run.groups * gl_NumSubgroups;
    // In dataflow mode a workgroup with no columns goes on to the next stage.
    if (flow && wgId * gl_NumSubgroups >= N) { MARK(si, 1u) return; }
    Floats Y = Floats(stages[si].ptr[4]);
    if (flow) flowOutputs(si);
    float eps;
    uint Nstride = 0u, nOff = 0u, erf = 0u;
    uint D = stages[si].push[5], qd = stages[si].push[3] * D, kvd = stages[si].push[4] * D, mode = stages[si].push[7];
    if (kind == K_MATMUL) {
        eps = uintBitsToFloat(stages[si].push[4]); Nstride = stages[si].push[5]; nOff = stages[si].push[6];
    } else if (kind == K_QKV) {
        eps = uintBitsToFloat(stages[si].push[10]);
        pc.dims = stages[si].push[6]; pc.base = uintBitsToFloat(stages[si].push[8]); pc.capacity = stages[si].push[9];
        qs_ = Y; kc_ = Cache(stages[si].ptr[5]); vc_ = Cache(stages[si].ptr[6]);
        fenceKeys = !freshKeys(rows, D);
    } else {
        eps = uintBitsToFloat(stages[si].push[4]); erf = stages[si].push[5];
    }
    // Plain products take two columns (n and n + stride) per pass.
    uint step = kind == K_MATMUL ? 2u * stride : stride;
    uint lane = gl_SubgroupInvocationID, lanes = gl_SubgroupSize, pieces = K / 8u;
#if !defined(W_F32)
    // One row, one pass of columns per subgroup, whole blocks, a staged row and few enough
    // pieces per lane: the subgroup's weight loads go out before the input row is staged,
    // so the stage waits on memory for both at once.
    bool early = rows == 1u && first + step >= N && (K & 31u) == 0u && K <= XMAX
        && pieces <= PMAX * lanes && (stages[si].flags & 1u) == 0u;
    uvec4 ra[PMAX], rb[PMAX];
    uint ea = 0u, eb = 0u;
    if (early && first < N) {
        stageColumnsAt(kind, si, first, N, stride, ea, eb);
        [[unroll]] for (uint i = 0u; i < PMAX; i++) {
            uint c = lane + i * lanes;
            if (c < pieces) {
                uint kb = (c >> 2) * 32u;
                ra[i] = raw8(ea * K + kb, c & 3u);
                rb[i] = raw8(eb * K + kb, c & 3u);
            }
        }
    }
#else
    bool early = false;
#endif
    for (uint r = 0u; r < rows; r++) {
        if (flow) {
            bool xt = (stages[si].flags & 2u) != 0u, x2t = (stages[si].flags & 4u) != 0u;
            if (xt && (normMode == 0u || (normMode == 2u && x2t)) && (run.flags & 16u) == 0u) stageRowTagged(r, K, eps, normMode == 2u);
            else stageRowFlow(r, K, eps);
        } else stageRow(r, K, eps);
        if (r == 0u) { MARK(si, 1u) }
        uint passEnd = EVEN_PASSES != 0u ? (N + step - 1u) / step * step : N;
        for (uint n0 = first; n0 < passEnd; n0 += step) {
            bool live = EVEN_PASSES != 0u ? n0 < N : true;
            uint n = EVEN_PASSES != 0u ? min(n0, N - 1u) : n0;
            vec2 ab;
            uint ca, cb;
            stageColumnsAt(kind, si, n, N, stride, ca, cb);
#if !defined(W_F32)
            if (early) {
                vec2 acc = vec2(0.0);
                [[unroll]] for (uint i = 0u; i < PMAX; i++) {
                    uint c = lane + i * lanes;
                    if (c < pieces) {
                        uint kb = (c >> 2) * 32u, q = c & 3u;
                        float w0[8], w1[8];
                        decode8(ra[i], ea * K + kb, q, w0);
                        decode8(rb[i], eb * K + kb, q, w1);
                        [[unroll]] for (uint j = 0u; j < 8u; j++) {
                            float xj = xsh[kb + 8u * q + j];
                            acc.x += w0[j] * xj;
                            acc.y += w1[j] * xj;
                        }
                    }
                }
                ab = vec2(subgroupAdd(acc.x), subgroupAdd(acc.y));
            } else
#endif
            ab = dot2(ca, cb, r, K);
            if (kind == K_MATMUL) {
                if (live && subgroupElect()) {
                    if (flow) {
                        outStore(r * Nstride + nOff + n, ab.x);
                        if (n + stride < N) outStore(r * Nstride + nOff + cb, ab.y);
                    } else {
                        Y.d[r * Nstride + nOff + n] = ab.x;
                        if (n + stride < N) Y.d[r * Nstride + nOff + cb] = ab.y;
                    }
                }
            } else if (kind == K_QKV) {
                uint fi; bool rotate;
                qkvPair(n, qd, kvd, D, pc.dims, mode, ca, cb, fi, rotate);
                if (live && subgroupElect()) {
                    if (flow) qkvStoreFlow(r, ab.x, ab.y, ca, cb, fi, rotate, qd, kvd);
                    else QKV_STORE(r, ab.x, ab.y)
                }
            } else {
                float g = ab.x, u = ab.y;
                float act = kind == K_SWIGLU ? g / (1.0 + exp(-g)) : (erf != 0u ? geluErf(g) : geluTanh(g));
                if (live && subgroupElect()) {
                    if (flow) outStore(r * N + n, act * u); else Y.d[r * N + n] = act * u;
                }
            }
        }
        // The next row's prologue reuses invs.
        barrier();
    }
}

#include "persistent_attention.glsl"

// Touches the weights this subgroup will read in matrix stage si, so that they are on
// their way into the caches while the workgroup waits at the grid barrier before it.
void prefetch(uint si) {
    if (si >= run.count || stages[si].kind > K_QKV) return;
    uint kind = stages[si].kind, K = stages[si].push[2], N;
    if ((K & 31u) != 0u) return;
    uint n = stageColumns(si, kind, N), stride = run.groups * gl_NumSubgroups;
    wref = Words(stages[si].ptr[3]);
    uint lane = gl_SubgroupInvocationID, lanes = gl_SubgroupSize;
    float sum = 0.0;
    for (; n < N; n += stride) {
        uint c0 = n, c1 = n;
        if (kind == K_SWIGLU || kind == K_GEGLU) c1 = N + n;
        else if (kind == K_QKV) {
            uint D = stages[si].push[5], fi; bool rotate;
            qkvPair(n, stages[si].push[3] * D, stages[si].push[4] * D, D, stages[si].push[6], stages[si].push[7], c0, c1, fi, rotate);
        }
        for (uint c = lane; c < K / 8u; c += lanes) {
            uint kb = (c >> 2) * 32u, q = c & 3u;
            float w[8];
            dequant8(c0 * K + kb, q, w);
            sum += w[0];
            if (c1 != c0) { dequant8(c1 * K + kb, q, w); sum += w[0]; }
        }
    }
    // Never true for finite weights; keeps the loads.
    if (sum == 1.0e38) sync.sink = 1u;
}

// Every workgroup arrives, then waits until all have arrived `epoch` times. Each
// invocation's fence makes its writes visible on the device before the workgroup barrier;
// the one arrival per workgroup is relaxed, and so is the polling (the data that follows
// is read through coherent references). Between arriving and waiting, the workgroup
// starts loading the next stage's weights.
void gridBarrier(uint epoch, uint next) {
    memoryBarrierBuffer();
    barrier();
    MARK(next, 2u)
    // The last workgroup to arrive goes straight on: its prefetch would only delay its share
    // of the next stage, which everyone then waits for.
    if (gl_LocalInvocationID.x == 0u) lastIn = atomicAdd(sync.arrived, 1u) + 1u == epoch * run.groups ? 1u : 0u;
    barrier();
    if (lastIn == 0u || (run.flags & 1u) != 0u) prefetch(next);
    MARK(next, 3u)
    if (gl_LocalInvocationID.x == 0u) {
        uint target = epoch * run.groups;
        uint spins = 0u;
        gaveUp = 0u;
        // A limit of 0 gives up at once (the executor's fallback is tested that way).
        if (run.spinLimit == 0u) {
            atomicExchange(sync.failed, 1u);
            gaveUp = 1u;
        }
        // The last to arrive knows it is: no poll.
        while (lastIn == 0u && gaveUp == 0u && atomicLoad(sync.arrived, gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsRelaxed) < target) {
            spins++;
            if (spins > run.spinLimit || atomicLoad(sync.failed, gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsRelaxed) != 0u) {
                atomicExchange(sync.failed, 1u);
                gaveUp = 1u;
                break;
            }
        }
        memoryBarrier(gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsAcquire);
    }
    barrier();
}

void main() {
    uint epoch = 0u;
    flowBegin();
    for (uint si = 0u; si < run.count; si++) {
        curStage = si;
        wgId = flow ? (gl_WorkGroupID.x + (stages[si].flags >> 16)) % run.groups : gl_WorkGroupID.x;
        if (flow) {
            if (si > 0u && stages[si].barrierBefore != 0u) { MARK(si, 2u) MARK(si, 3u) }
            // A workgroup whose wait for a tagged value gave up stops (all of its invocations).
            if (flowGaveUp) gaveUp = 1u;
            barrier();
            if (gaveUp != 0u) break;
        } else if (si > 0u && stages[si].barrierBefore != 0u) {
            epoch++;
            gridBarrier(epoch, si);
            if (gaveUp != 0u) break;
        }
        MARK(si, 0u)
        uint kind = stages[si].kind;
        if (kind == K_ATTENTION) {
            attentionStage(si);
        } else if (kind <= K_QKV) {
            normMode = stages[si].norm;
            X = Floats(stages[si].ptr[0]); X2 = Floats(stages[si].ptr[1]); NW = Consts(stages[si].ptr[2]);
            wref = Words(stages[si].ptr[3]); SUMS = Floats(stages[si].ptr[7]);
            matrixStage(kind, si);
        } else {
            // K_FUSED: done by the stage before it.
            MARK(si, 1u)
        }
    }
#if defined(TRACE)
    memoryBarrierBuffer();
    barrier();
    MARK(run.count, 2u)
#endif
    flowEnd();
}
