#version 450
// variants: FACTORS=no,yes
// Rotary embedding (FACTORS_YES: rope_scaled, θ divided by a factor per pair, binding 2). Row t has position P + t; for pair i < dims/2 of each head,
// θ = pos · base^(−2i/dims). MODE 0 rotates (x[2i], x[2i+1]), MODE 1 (x[i], x[i+dims/2]).
// Values past `dims` in a head are copied.
layout(local_size_x = 256) in;
#include "common.glsl"
layout(std430, binding = 1) readonly buffer X { float xs[]; };
#if defined(FACTORS_YES)
layout(std430, binding = 2) readonly buffer F { float factors[]; };
layout(std430, binding = 3) writeonly buffer Y { float ys[]; };
#else
layout(std430, binding = 2) writeonly buffer Y { float ys[]; };
#endif
layout(push_constant) uniform PC { uvec2 rows; uint heads; uint headDim; uint dims; uint mode; float base; } pc;

void main() {
    uint rows = affine(pc.rows), hd = pc.headDim, half_ = pc.dims / 2u;
    uint perRow = pc.heads * hd;
    uint n = rows * perRow;
    for (uint e = gl_GlobalInvocationID.x; e < n; e += gl_NumWorkGroups.x * 256u) {
        uint t = e / perRow, within = e % hd;
        uint headBase = e - within;
        uint i; bool first;
        if (within >= pc.dims) { ys[e] = xs[e]; continue; }
        if (pc.mode == 0u) { i = within / 2u; first = (within & 1u) == 0u; }
        else { i = within % half_; first = within < half_; }
        uint a = pc.mode == 0u ? headBase + 2u * i : headBase + i;
        uint b = pc.mode == 0u ? a + 1u : a + half_;
        float theta = float(stepv.P + t) * pow(pc.base, -2.0 * float(i) / float(pc.dims));
#if defined(FACTORS_YES)
        theta /= factors[i];
#endif
        float c = cos(theta), s = sin(theta);
        ys[e] = first ? xs[a] * c - xs[b] * s : xs[a] * s + xs[b] * c;
    }
}
