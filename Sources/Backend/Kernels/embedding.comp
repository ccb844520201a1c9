#version 450
// variants: W=f32,f16,bf16,q4_0,q4_1,q5_0,q5_1,q8_0,q4_k,q6_k
// y[t, d] = table[ids[t], d] (the host checks the ids before a run).
layout(local_size_x = 256) in;
#include "common.glsl"
layout(std430, binding = 1) readonly buffer Tb { uint wdata[]; };
layout(std430, binding = 2) readonly buffer Ids { int ids[]; };
layout(std430, binding = 3) writeonly buffer Y { float ys[]; };
// The table rows v0 ..< v0 + V are bound (a table bigger than one binding is split into
// windows, one dispatch each); rows whose id is outside the window are left to the others.
layout(push_constant) uniform PC { uvec2 rows; uint D; uint V; uint v0; } pc;
#define WBUF wdata
#include "weights.glsl"

void main() {
    uint n = affine(pc.rows) * pc.D;
    for (uint i = gl_GlobalInvocationID.x; i < n; i += gl_NumWorkGroups.x * 256u) {
        uint t = i / pc.D, d = i % pc.D;
        uint local = uint(ids[t]) - pc.v0;
        if (local < pc.V) ys[i] = loadW(local * pc.D + d);
    }
}
