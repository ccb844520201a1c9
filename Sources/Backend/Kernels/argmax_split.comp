#version 450
// The argmax of long rows (an LM head's logits) split over slices: workgroup (s, r) finds the
// largest value of slice s of row r (the lowest index on ties), writes it with its index to
// the partials, and counts itself in counters[r] (graph state: starts zeroed, ends zeroed);
// the last workgroup of the row to finish reduces the partials and writes the index. One
// workgroup walking a 49,152-value row is bound by what one multiprocessor can read; the
// slices spread that over the GPU.
#extension GL_KHR_memory_scope_semantics : require
layout(local_size_x = 256) in;
#include "common.glsl"
layout(std430, binding = 1) readonly buffer X { float xs[]; };
layout(std430, binding = 2) coherent buffer C { uint counters[]; };
layout(std430, binding = 3) writeonly buffer Y { int ys[]; };
layout(std430, binding = 4) coherent buffer P { float parts[]; };
layout(push_constant) uniform PC { uvec2 rows; uint D; uint slices; } pc;
#include "argmax.glsl"
shared uint isLast;

void main() {
    uint rows = affine(pc.rows), D = pc.D, S = pc.slices, t = gl_LocalInvocationID.x;
    uint per = (D + S - 1u) / S;
    for (uint r = gl_WorkGroupID.y; r < rows; r += gl_NumWorkGroups.y) {
        for (uint s = gl_WorkGroupID.x; s < S; s += gl_NumWorkGroups.x) {
            uint lo = min(s * per, D), hi = min(lo + per, D);
            float bv = -3.4e38; uint bi = NONE;
            scanBest(r * D, lo, hi, bv, bi);
            reduceBest(bv, bi);
            // Publish the slice's best, then count it; the last of the row reduces.
            if (t == 0u) {
                parts[(r * S + s) * 2u] = bv;
                parts[(r * S + s) * 2u + 1u] = bi == NONE ? -1.0 : float(bi);
            }
            memoryBarrierBuffer();
            barrier();
            if (t == 0u) {
                uint before = atomicAdd(counters[r], 1u, gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsAcquireRelease);
                isLast = before == S - 1u ? 1u : 0u;
            }
            barrier();
            if (isLast != 0u) {
                memoryBarrierBuffer();
                bv = -3.4e38; bi = NONE;
                for (uint s2 = t; s2 < S; s2 += 256u) {
                    float v = parts[(r * S + s2) * 2u], fi = parts[(r * S + s2) * 2u + 1u];
                    uint i = fi < 0.0 ? NONE : uint(fi);
                    if (better(v, i, bv, bi)) { bv = v; bi = i; }
                }
                reduceBest(bv, bi);
                if (t == 0u) { ys[r] = bi == NONE ? 0 : int(bi); counters[r] = 0u; }
            }
            barrier();
        }
    }
}
