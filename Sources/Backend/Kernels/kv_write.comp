#version 450
// variants: KV=f32,f16
// cache[P + t, i] = x[t, i] for the T rows of this run; rows past the capacity are dropped
// (the host refuses such a run before it is submitted).
layout(local_size_x = 256) in;
#include "common.glsl"
#include "kvcache.glsl"
layout(std430, binding = 1) buffer Cache { KVT cache[]; };
layout(std430, binding = 2) readonly buffer X { float xs[]; };
layout(push_constant) uniform PC { uvec2 rows; uint W; uint capacity; } pc;

void main() {
    uint n = affine(pc.rows) * pc.W;
    for (uint e = gl_GlobalInvocationID.x; e < n; e += gl_NumWorkGroups.x * 256u) {
        uint t = e / pc.W, i = e % pc.W;
        if (stepv.P + t < pc.capacity) cache[(stepv.P + t) * pc.W + i] = KVT(xs[e]);
    }
}
