#version 450
// variants: W=f32,f16,bf16,q4_0,q4_1,q8_0 NORM=none,rms,addrms
// A one-row product with very many columns (an LM head) on GPUs, with matmul.comp's bindings
// and push constants: 256 invocations a workgroup stage the row (normalized, with the
// prologue's residual sum written out by workgroup 0) in shared memory once, eight loads in
// flight per invocation; then each subgroup takes CPS columns at a time, its lanes splitting
// K in 8-value pieces, every weight load of a step issued before any is used, striding over
// the groups of CPS columns by the grid's subgroup count (the host sizes the grid for about
// four groups a subgroup). K must be a multiple of 32 and at most XMAX (wideMatmul).
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

const uint XMAX = 4096u;
// Columns a subgroup computes at a time.
const uint CPS = 4u;
shared float xsh[XMAX];

void main() {
    uint t = gl_LocalInvocationID.x, K = pc.K, N = pc.N;
    float s = 0.0;
    for (uint k0 = t; k0 < K; k0 += 8u * WG) {
        float v[8];
        [[unroll]] for (uint i = 0u; i < 8u; i++) {
            uint k = min(k0 + i * WG, K - 1u);
#if defined(NORM_ADDRMS)
            v[i] = xs[k] + x2s[k];
#else
            v[i] = xs[k];
#endif
        }
        [[unroll]] for (uint i = 0u; i < 8u; i++) {
            uint k = k0 + i * WG;
            if (k < K) {
#if defined(NORM_ADDRMS)
                if (gl_WorkGroupID.x == 0u) sums[k] = v[i];
#endif
                xsh[k] = v[i];
                s += v[i] * v[i];
            }
        }
    }
#if defined(NORM_RMS) || defined(NORM_ADDRMS)
    float inv = inversesqrt(wgSum(s) / float(K) + pc.eps);
    for (uint k = t; k < K; k += WG) xsh[k] *= inv * nws[k];
#endif
    barrier();
    uint lane = gl_SubgroupInvocationID, lanes = gl_SubgroupSize, pieces = K / 8u;
    uint stride = gl_NumWorkGroups.x * gl_NumSubgroups * CPS;
    for (uint n0 = (gl_WorkGroupID.x * gl_NumSubgroups + gl_SubgroupID) * CPS; n0 < N; n0 += stride) {
        float acc[CPS];
        [[unroll]] for (uint j = 0u; j < CPS; j++) acc[j] = 0.0;
        for (uint base = 0u; base < pieces; base += 4u * lanes) {
            [[unroll]] for (uint i = 0u; i < 4u; i++) {
                uint c = base + lane + i * lanes;
                uint kb = (c >> 2) * 32u, q = c & 3u;
                [[unroll]] for (uint j = 0u; j < CPS; j++) {
                    if (c < pieces && n0 + j < N) {
                        float w[8];
#if defined(W_F32)
                        dequant8((n0 + j) * K + kb, q, w);
#else
                        // raw8's loads take no branch on the block's alignment (dequant8's
                        // do, for the 34- and 18-byte blocks), so lanes of blocks of either
                        // parity issue them together.
                        decode8(raw8((n0 + j) * K + kb, q), (n0 + j) * K + kb, q, w);
#endif
                        [[unroll]] for (uint e = 0u; e < 8u; e++) acc[j] += w[e] * xsh[kb + 8u * q + e];
                    }
                }
            }
        }
        [[unroll]] for (uint j = 0u; j < CPS; j++) {
            float a = subgroupAdd(acc[j]);
            if (subgroupElect() && n0 + j < N) ys[pc.nOff + n0 + j] = a;
        }
    }
}
