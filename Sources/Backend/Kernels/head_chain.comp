#version 450
// variants: W=f32,f16,bf16,q4_0,q4_1,q8_0 NORM=none,rms,addrms
// The tail of a chained greedy decode step whose token embedding is tied to its LM head
// (ExecutorChainTail.swift): the head's product (wide_product.glsl, as matmul_wide.comp
// computes it), the argmax of the logits (as the argmax kernels choose: the largest, the
// lowest index on ties) and the next step's input — the chosen token's embedding row, read
// from the same weights — in one dispatch where the plain chain runs four (head, argmax, the
// advance kernel, embedding). Each workgroup publishes its best column and counts itself;
// the last to finish reduces them and writes the token (for the graph's output, the input
// and the chain's ids) and the embedding.
#extension GL_KHR_shader_subgroup_arithmetic : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_memory_scope_semantics : require
#define WG 256u
#define RED_SUBGROUP 1
layout(local_size_x = 256) in;
#include "common.glsl"
#include "reduce.glsl"
layout(std430, binding = 1) readonly buffer X { float xs[]; };
#if defined(NORM_ADDRMS)
layout(std430, binding = 2) readonly buffer X2 { float x2s[]; };
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
// The workgroups' exit count (zero between runs: the last resets it), then each one's best
// value and its index (as a float).
layout(std430, binding = 7) coherent buffer Parts { uint exits; uint pad[3]; float parts[]; };
layout(std430, binding = 8) writeonly buffer Chosen { int chosen[]; };
layout(std430, binding = 9) writeonly buffer Tokens { int tokens[]; };
layout(std430, binding = 10) writeonly buffer Chain { int ids[]; };
layout(std430, binding = 11) writeonly buffer Embedded { float embedded[]; };
// matmul.comp's seven words, then the step of the chain, the embedding's row size and row
// count.
layout(push_constant) uniform PC { uvec2 rows; uint K; uint N; float eps; uint Nstride; uint nOff;
                                   uint step; uint D; uint V; } pc;
#include "weights.glsl"
#include "wide_product.glsl"
#define ARGMAX_REDUCE_ONLY 1
#include "argmax.glsl"
shared uint isLast;

void main() {
    uint t = gl_LocalInvocationID.x, G = gl_NumWorkGroups.x;
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
    if (t == 0u) isLast = atomicAdd(exits, 1u, gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsAcquireRelease) == G - 1u ? 1u : 0u;
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
    if (t == 0u) exits = 0u;
}
