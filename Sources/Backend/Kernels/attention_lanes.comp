#version 450
// variants: HD=64,128,256
// Causal attention with grouped-query heads over the first P+T rows of a float32 K/V cache,
// for CPU drivers: one invocation per (query row, head) walks that head's keys with an online
// softmax and keeps the head's output row in registers (head_dim ≤ HD, a multiple of 4).
// No shared memory and no barriers: lavapipe runs a workgroup as one thread and a barrier as
// a switch between coroutines, which cost more than this whole kernel at decode. q and the
// caches are read through texel buffers (R32G32B32A32_SFLOAT views, KernelBindings.swift).
// Same bindings and push constants as attention.comp.
layout(local_size_x = 8) in;
#include "common.glsl"
layout(binding = 1) uniform samplerBuffer qtex;
layout(binding = 2) uniform samplerBuffer ktex;
layout(binding = 3) uniform samplerBuffer vtex;
layout(std430, binding = 4) writeonly buffer Y { vec4 ys4[]; };
layout(push_constant) uniform PC { uvec2 rows; uint heads; uint kvHeads; uint headDim; uint window; float scale; } pc;
#if defined(HD_64)
const uint Q4 = 16u;
#elif defined(HD_128)
const uint Q4 = 32u;
#else
const uint Q4 = 64u;
#endif

void main() {
    uint h = gl_GlobalInvocationID.x;
    if (h >= pc.heads) return;
    uint rows = affine(pc.rows), D4 = pc.headDim / 4u;
    uint g = h / (pc.heads / pc.kvHeads);
    uint qw4 = pc.heads * D4, kw4 = pc.kvHeads * D4;
    for (uint r = gl_WorkGroupID.y; r < rows; r += gl_NumWorkGroups.y) {
        uint p = stepv.P + r;
        vec4 q[Q4], acc[Q4];
        [[unroll]] for (uint i = 0u; i < Q4; i++) {
            // Past the head (i ≥ D4) the fetch repeats the head's last texel, unused: lavapipe
            // runs both sides of a condition, and no fetch may leave the view.
            q[i] = i < D4 ? texelFetch(qtex, int(r * qw4 + h * D4 + min(i, D4 - 1u))) * pc.scale : vec4(0.0);
            acc[i] = vec4(0.0);
        }
        float m = -3.4e38, l = 0.0;
        for (uint j = firstKey(p, pc.window); j <= p; j++) {
            uint base = j * kw4 + g * D4;
            float s = 0.0;
            [[unroll]] for (uint i = 0u; i < Q4; i++) if (i < D4) s += dot(q[i], texelFetch(ktex, int(base + min(i, D4 - 1u))));
            float mn = max(m, s), corr = exp(m - mn), e = exp(s - mn);
            l = l * corr + e;
            m = mn;
            [[unroll]] for (uint i = 0u; i < Q4; i++) if (i < D4) acc[i] = acc[i] * corr + e * texelFetch(vtex, int(base + min(i, D4 - 1u)));
        }
        [[unroll]] for (uint i = 0u; i < Q4; i++) if (i < D4) ys4[r * qw4 + h * D4 + i] = acc[i] / l;
    }
}
