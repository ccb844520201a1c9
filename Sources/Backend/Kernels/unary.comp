#version 450
// y[i] = f(x[i]): OP 0 scale by param, 1 silu, 2 gelu (tanh), 3 gelu (erf).
layout(local_size_x = 256) in;
#include "common.glsl"
layout(std430, binding = 1) readonly buffer X { float xs[]; };
layout(std430, binding = 2) writeonly buffer Y { float ys[]; };
layout(push_constant) uniform PC { uvec2 n; uint op; float param; } pc;

#include "gelu.glsl"

void main() {
    uint n = affine(pc.n);
    for (uint i = gl_GlobalInvocationID.x; i < n; i += gl_NumWorkGroups.x * 256u) {
        float x = xs[i], y;
        if (pc.op == 0u) y = x * pc.param;
        else if (pc.op == 1u) y = x / (1.0 + exp(-x));
        else if (pc.op == 2u) y = geluTanh(x);
        else y = geluErf(x);
        ys[i] = y;
    }
}
