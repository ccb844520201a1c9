#version 450
// variants: W=f32,f16,bf16,q4_0,q4_1,q8_0
// y[t, d] = table[ids[t], d]; ids outside the table give zeros (the host checks them first).
layout(local_size_x = 256) in;
#include "common.glsl"
layout(std430, binding = 1) readonly buffer Tb { uint wdata[]; };
layout(std430, binding = 2) readonly buffer Ids { int ids[]; };
layout(std430, binding = 3) writeonly buffer Y { float ys[]; };
layout(push_constant) uniform PC { uvec2 rows; uint D; uint V; } pc;
#define WBUF wdata
#include "weights.glsl"

void main() {
    uint n = affine(pc.rows) * pc.D;
    for (uint i = gl_GlobalInvocationID.x; i < n; i += gl_NumWorkGroups.x * 256u) {
        uint t = i / pc.D, d = i % pc.D;
        int id = ids[t];
        ys[i] = (id >= 0 && uint(id) < pc.V) ? loadW(uint(id) * pc.D + d) : 0.0;
    }
}
