#version 450
// y[i] = f(x[i]): OP 0 scale by param, 1 silu, 2 gelu (tanh), 3 gelu (erf).
layout(local_size_x = 256) in;
#include "common.glsl"
layout(std430, binding = 1) readonly buffer X { float xs[]; };
layout(std430, binding = 2) writeonly buffer Y { float ys[]; };
layout(push_constant) uniform PC { uvec2 n; uint op; float param; } pc;

// erf with |error| < 1.5e-7 (Abramowitz & Stegun 7.1.26).
float erf_(float x) {
    float s = sign(x), a = abs(x);
    float t = 1.0 / (1.0 + 0.3275911 * a);
    float y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-a * a);
    return s * y;
}

void main() {
    uint n = affine(pc.n);
    for (uint i = gl_GlobalInvocationID.x; i < n; i += gl_NumWorkGroups.x * 256u) {
        float x = xs[i], y;
        if (pc.op == 0u) y = x * pc.param;
        else if (pc.op == 1u) y = x / (1.0 + exp(-x));
        else if (pc.op == 2u) {
            float u = clamp(0.7978845608028654 * (x + 0.044715 * x * x * x), -15.0, 15.0);
            y = 0.5 * x * (1.0 + tanh(u));
        } else y = 0.5 * x * (1.0 + erf_(x * 0.7071067811865476));
        ys[i] = y;
    }
}
