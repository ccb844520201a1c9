#version 450
// variants: W=f32,f16,bf16,q4_0,q4_1,q5_0,q5_1,q8_0,q4_k,q6_k NORM=none,rms,addrms
// A one-row product with very many columns (an LM head) on GPUs, with matmul.comp's bindings
// and push constants (wide_product.glsl; the host sizes the grid for about four groups of
// columns a subgroup). K must be a multiple of 32 and at most XMAX (wideMatmul).
#extension GL_KHR_shader_subgroup_arithmetic : require
#extension GL_KHR_shader_subgroup_basic : require
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
layout(push_constant) uniform PC { uvec2 rows; uint K; uint N; float eps; uint Nstride; uint nOff; } pc;
#include "weights.glsl"
#include "wide_product.glsl"

void main() {
    wideStageRow();
    for (uint n0 = wideFirst(); n0 < pc.N; n0 += wideStride()) {
        float dots[CPS];
        wideColumns(n0, dots);
        [[unroll]] for (uint j = 0u; j < CPS; j++) {
            if (subgroupElect() && n0 + j < pc.N) ys[pc.nOff + n0 + j] = dots[j];
        }
    }
}
