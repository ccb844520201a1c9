#version 450
// variants: W=f32,f16,bf16 RED=shared,subgroup
// rms_rope: each head of each row (head_dim values) RMS-normalized with the weight w, then
// rotated as rope.comp rotates it (row t at position P + t; MODE 0 pairs (2i, 2i+1), MODE 1
// (i, i + dims/2); values past `dims` only normalized). One workgroup per (row, head) at a
// time; the head is read once into shared memory.
#define WG 128u
layout(local_size_x = 128) in;
#include "common.glsl"
layout(std430, binding = 1) readonly buffer X { float xs[]; };
layout(std430, binding = 2) readonly buffer Wt { uint wdata[]; };
layout(std430, binding = 3) writeonly buffer Y { float ys[]; };
layout(push_constant) uniform PC { uvec2 rows; uint heads; uint headDim; uint dims; uint mode; float base; float eps; } pc;
#define WBUF wdata
#include "weights.glsl"
#include "reduce.glsl"
// A head of up to 1024 values (TransformerConfig's limit).
shared float head[1024];

void main() {
    uint rows = affine(pc.rows), hd = pc.headDim, half_ = pc.dims / 2u, t = gl_LocalInvocationID.x;
    for (uint g = gl_WorkGroupID.x; g < rows * pc.heads; g += gl_NumWorkGroups.x) {
        uint base = g * hd, r = g / pc.heads;
        float s = 0.0;
        for (uint k = t; k < hd; k += WG) { float v = xs[base + k]; head[k] = v; s += v * v; }
        float inv = inversesqrt(wgSum(s) / float(hd) + pc.eps);
        for (uint k = t; k < hd; k += WG) head[k] *= inv * loadW(k);
        barrier();
        float pos = float(STEP_P + r);
        for (uint k = t; k < hd; k += WG) {
            if (k >= pc.dims) { ys[base + k] = head[k]; continue; }
            uint i; bool first;
            if (pc.mode == 0u) { i = k / 2u; first = (k & 1u) == 0u; }
            else { i = k % half_; first = k < half_; }
            uint a = pc.mode == 0u ? 2u * i : i, b = pc.mode == 0u ? a + 1u : a + half_;
            float theta = pos * pow(pc.base, -2.0 * float(i) / float(pc.dims));
            float c = cos(theta), sn = sin(theta);
            ys[base + k] = first ? head[a] * c - head[b] * sn : head[a] * sn + head[b] * c;
        }
        barrier();
    }
}
