#version 450
// variants: W=f32,f16,bf16,q4_0,q4_1,q8_0 NORM=none,rms,addrms
// The tail of a chained greedy decode step whose token embedding is tied to its LM head
// (ExecutorChainTail.swift): the head's product (wide_product.glsl, as matmul_wide.comp
// computes it), the argmax of the logits (as argmax_split.comp chooses: the largest, the
// lowest index on ties), and the next step's input — the chosen token's embedding row, read
// from the same weights — in one dispatch, recorded without pipeline barriers around it.
// Ordering comes from counters in the persistent kernel's sync buffer instead: a workgroup
// waits until the step's persistent run has finished (pdone > step), the last workgroup to
// finish writes the token and the embedding and then counts the head done (hdone = step + 1),
// which the next step's persistent run waits for. So this dispatch's workgroups start (and,
// with flag 1, pull their weights into the caches) while the persistent run's last stages
// still run, and the next step's run starts while this one finishes.
#extension GL_KHR_shader_subgroup_arithmetic : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_memory_scope_semantics : require
#define WG 256u
#define RED_SUBGROUP 1
layout(local_size_x = 256) in;
#include "common.glsl"
#include "reduce.glsl"
// Written by the persistent run of this step, which no barrier orders before this dispatch:
// read coherently.
layout(std430, binding = 1) coherent readonly buffer X { float xs[]; };
#if defined(NORM_ADDRMS)
layout(std430, binding = 2) coherent readonly buffer X2 { float x2s[]; };
layout(std430, binding = 3) readonly buffer NW { float nws[]; };
#define B0 4
layout(std430, binding = 6) writeonly buffer S { float sums[]; };
#elif defined(NORM_RMS)
layout(std430, binding = 2) readonly buffer NW { float nws[]; };
#define B0 3
#else
#define B0 2
#endif
#include "matrix_weights.glsl"
layout(std430, binding = B0 + 1) writeonly buffer Y { float ys[]; };
// The persistent run's sync words (persistent.glsl): failed, sink, pdone, hdone, hexits.
layout(std430, binding = 7) coherent buffer Sync { uint arrived; uint failed; uint sink; uint pdone; uint gen; uint exits; uint hdone; uint hexits; } sync;
layout(std430, binding = 8) coherent buffer Parts { float parts[]; };
layout(std430, binding = 9) coherent writeonly buffer Chosen { int chosen[]; };
layout(std430, binding = 10) coherent writeonly buffer Tokens { int tokens[]; };
layout(std430, binding = 11) coherent writeonly buffer Chain { int ids[]; };
layout(std430, binding = 12) coherent writeonly buffer Embedded { float embedded[]; };
// matmul.comp's seven words, then: the step of the chain, the spin limit, flags (1: pull
// the weights into the caches while waiting), the embedding's row size and row count.
layout(push_constant) uniform PC { uvec2 rows; uint K; uint N; float eps; uint Nstride; uint nOff;
                                   uint step; uint spinLimit; uint flags; uint D; uint V; } pc;
#include "weights.glsl"
#include "wide_product.glsl"
#define xs parts
#include "argmax.glsl"
#undef xs
shared uint isLast;

// Bytes of 32 consecutive weights (a block of the quantized types).
#if defined(W_F32)
const uint BLOCK_BYTES = 128u;
#elif defined(W_F16) || defined(W_BF16)
const uint BLOCK_BYTES = 64u;
#elif defined(W_Q4_0)
const uint BLOCK_BYTES = 18u;
#elif defined(W_Q4_1)
const uint BLOCK_BYTES = 20u;
#else
const uint BLOCK_BYTES = 34u;
#endif

// Touches the weights of every column this subgroup will compute: a word of each block.
void pullWeights() {
    uint K = pc.K, lane = gl_SubgroupInvocationID, lanes = gl_SubgroupSize;
    uint sum = 0u;
    for (uint n0 = wideFirst(); n0 < pc.N; n0 += wideStride()) {
        for (uint j = 0u; j < CPS && n0 + j < pc.N; j++) {
            for (uint b = lane; b < K / 32u; b += lanes) sum += WLOAD(((n0 + j) * (K / 32u) + b) * BLOCK_BYTES / 4u);
        }
    }
    // Rarely true, and harmless then; the compiler cannot know, so the loads stay.
    if (sum == 0x9E3779B9u) sync.sink = sum;
}

// Invocation 0 waits until `counter` reaches `target` (or the spin limit, or another wait
// gave up: then it says so in `failed`, and the host runs the chain again without this).
void waitFor(uint target) {
    if (gl_LocalInvocationID.x == 0u) {
        uint spins = 0u;
        while (atomicLoad(sync.pdone, gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsRelaxed) < target) {
            spins++;
            if (spins > pc.spinLimit || atomicLoad(sync.failed, gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsRelaxed) != 0u) {
                atomicExchange(sync.failed, 1u);
                break;
            }
        }
        memoryBarrier(gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsAcquire);
    }
    barrier();
}

void main() {
    uint t = gl_LocalInvocationID.x, G = gl_NumWorkGroups.x;
    if ((pc.flags & 1u) != 0u) pullWeights();
    waitFor(pc.step + 1u);
    wideStageRow();
    float bv = -3.4e38; uint bi = NONE;
    for (uint n0 = wideFirst(); n0 < pc.N; n0 += wideStride()) {
        float dots[CPS];
        wideColumns(n0, dots);
        [[unroll]] for (uint j = 0u; j < CPS; j++) {
            if (n0 + j < pc.N) {
                if (subgroupElect()) ys[pc.nOff + n0 + j] = dots[j];
                if (better(dots[j], n0 + j, bv, bi)) { bv = dots[j]; bi = n0 + j; }
            }
        }
    }
    reduceBest(bv, bi);
    // Publish the workgroup's best, then count it; the last reduces them all.
    if (t == 0u) {
        parts[2u * gl_WorkGroupID.x] = bv;
        parts[2u * gl_WorkGroupID.x + 1u] = bi == NONE ? -1.0 : float(bi);
    }
    memoryBarrierBuffer();
    barrier();
    if (t == 0u) isLast = atomicAdd(sync.hexits, 1u, gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsAcquireRelease) == G - 1u ? 1u : 0u;
    barrier();
    if (isLast == 0u) return;
    memoryBarrierBuffer();
    bv = -3.4e38; bi = NONE;
    for (uint g = t; g < G; g += WG) {
        float v = parts[2u * g], fi = parts[2u * g + 1u];
        uint i = fi < 0.0 ? NONE : uint(fi);
        if (better(v, i, bv, bi)) { bv = v; bi = i; }
    }
    reduceBest(bv, bi);
    uint id = bi == NONE ? 0u : bi;
    if (t == 0u) { chosen[0] = int(id); tokens[0] = int(id); ids[pc.step] = int(id); }
    // The next step's input: row id of the table (the head's weights; the host checked that
    // its rows are the vocabulary, id < V).
    for (uint d = t; d < pc.D; d += WG) embedded[d] = loadW(min(id, pc.V - 1u) * pc.D + d);
    memoryBarrierBuffer();
    barrier();
    if (t == 0u) {
        atomicStore(sync.hexits, 0u, gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsRelaxed);
        atomicStore(sync.hdone, pc.step + 1u, gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsRelease);
    }
}
