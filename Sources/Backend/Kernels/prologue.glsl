// The optional RMS-norm prologue of the matrix kernels (variants NORM=none,rms,addrms):
// the kernel's input row is x (NORM_RMS) or a + b (NORM_ADDRMS, the residual add, whose sum
// workgroup 0 also writes out), normalized by 1/sqrt(mean² + eps) and scaled by the f32
// norm weight on the fly, so the norm costs no dispatch and no barrier of its own.
// Defines the input bindings 1.. and B0, the first binding of the kernel's own buffers;
// declares `sums` at binding SUM_BINDING when NORM_ADDRMS (the kernel defines SUM_BINDING).
// RED_TEXEL (the CPU-driver variant) reads x and b through uniform texel buffers
// (R32G32B32A32_SFLOAT views; K a multiple of 4): lavapipe turns a storage-buffer load into a
// loop over the lanes with a branch each, even when every lane reads the same address.
// The workgroup size: 256 for the subgroup variant (GPUs: eight subgroups of 32 share one staged
// row, below), 64 for the others.
#if defined(RED_SUBGROUP)
layout(local_size_x = 256) in;
#define WG 256u
#else
layout(local_size_x = 64) in;
#define WG 64u
#endif
#if defined(RED_TEXEL)
layout(binding = 1) uniform samplerBuffer xtex;
#define XS(i) texelFetch(xtex, int((i) >> 2))[(i) & 3u]
#define XS4(i) texelFetch(xtex, int(i))
#else
layout(std430, binding = 1) readonly buffer X { float xs[]; };
#define XS(i) xs[i]
#endif
#if defined(NORM_ADDRMS)
#if defined(RED_TEXEL)
layout(binding = 2) uniform samplerBuffer x2tex;
#define X2S(i) texelFetch(x2tex, int((i) >> 2))[(i) & 3u]
#else
layout(std430, binding = 2) readonly buffer X2 { float x2s[]; };
#define X2S(i) x2s[i]
#endif
layout(std430, binding = 3) readonly buffer NW { float nws[]; };
#define B0 4
#define XRAW(i) (XS(i) + X2S(i))
#elif defined(NORM_RMS)
layout(std430, binding = 2) readonly buffer NW { float nws[]; };
#define B0 3
#define XRAW(i) XS(i)
#else
#define B0 2
#endif

#if defined(RED_SUBGROUP)
// The subgroup variant (GPUs, one row a tile) stages its row, normalized, in shared memory
// once per workgroup where K ≤ XSTAGE (rowStaged), so its lanes read x from there instead of
// loading x (and b, and the norm weight) from memory for every piece of every column: those
// loads of 8 floats 32 bytes apart were most of the kernel's memory traffic (a 2048-value row
// times 11,264 rows of a gate/up product: 277 MB of loads for 13 MB of weights). One float of
// padding every 32 (XPAD) spreads a subgroup's reads of 8-value pieces over all banks.
// XSTAGE: the most that fits, with the padding and the reductions' 1 KiB, in the 32 KiB of
// shared memory Vulkan guarantees (7,680 + 240 floats: hidden and feed-forward sizes up to
// 7,680; wider rows take the loads from memory as before).
#define MATVEC_STAGED 1
const uint XSTAGE = 7680u;
#if defined(W_Q4_K) || defined(W_Q6_K)
#define KQ_STAGE XSTAGE
#include "kq_layout.glsl"
#else
shared float xst[XSTAGE + XSTAGE / 32u];
uint XPAD(uint k) { return k + (k >> 5); }
void xstSet(uint k, float v) { xst[XPAD(k)] = v; }
void xstScale(uint k, float f) { xst[XPAD(k)] *= f; }
#endif
bool rowStaged;
#endif

#if defined(NORM_RMS) || defined(NORM_ADDRMS)
#include "reduce.glsl"
shared float invs[4];
// x[row r0 + j, k] as the matrix kernels see it.
#define XV(idx, j, k) (XRAW(idx) * invs[j] * nws[k])

// Computes the inverse RMS of the tile's rows (and writes the sums); every invocation of
// the workgroup must call it (it synchronizes).
void prologue(uint r0, uint nr, uint K, float eps) {
    uint t = gl_LocalInvocationID.x;
#if defined(MATVEC_STAGED)
    // (R = 1: one row. The barrier: the previous row's readers are done with xst.) (Staging
    // x times the norm weight in one pass and scaling the products by the inverse RMS
    // instead: TinyLlama Q4_K_M-style tg128 736 against 741, Gemma 3 862 against 864;
    // docs/bench/h200-s20/c5.)
    rowStaged = K <= XSTAGE;
    barrier();
#endif
    // nr is the same for the whole workgroup, so the barriers in wgSum stay uniform.
    for (uint j = 0u; j < nr; j++) {
        float s = 0.0;
        // Eight loads in flight per invocation: a row of 576 values waits on memory twice,
        // not nine times.
        for (uint k0 = t; k0 < K; k0 += 8u * WG) {
            float v[8];
            // (Indices clamped: lavapipe runs both sides of the select, and no texel fetch
            // may leave x's view.)
            [[unroll]] for (uint i = 0u; i < 8u; i++) { uint k = k0 + WG * i; v[i] = k < K ? XRAW((r0 + j) * K + min(k, K - 1u)) : 0.0; }
            [[unroll]] for (uint i = 0u; i < 8u; i++) {
                uint k = k0 + WG * i;
                s += v[i] * v[i];
#if defined(NORM_ADDRMS)
                if (gl_WorkGroupID.x == 0u && k < K) sums[(r0 + j) * K + k] = v[i];
#endif
#if defined(MATVEC_STAGED)
                if (k < K && rowStaged) xstSet(k, v[i]);
#endif
            }
        }
        float inv = inversesqrt(wgSum(s) / float(K) + eps);
        if (t == 0u) invs[j] = inv;
#if defined(MATVEC_STAGED)
        if (rowStaged) for (uint k = t; k < K; k += WG) xstScale(k, inv * nws[k]);
#endif
    }
    barrier();
}
#else
#define XV(idx, j, k) XS(idx)
// The same input as vec4s, for kernels that read x four values at a time.
#if !defined(RED_TEXEL)
layout(std430, binding = 1) readonly buffer X4 { vec4 xs4[]; };
#define XS4(i) xs4[i]
#endif
#define X_VEC4 1
#if defined(MATVEC_STAGED)
void prologue(uint r0, uint nr, uint K, float eps) {
    uint t = gl_LocalInvocationID.x;
    rowStaged = K <= XSTAGE;
    barrier();
    if (rowStaged) {
        // (Every load of the row issued at once, 30 an invocation: 112 registers against 78 for
        // q4_k, tg128 688 against 736; c5.)
        for (uint k0 = t; k0 < K; k0 += 8u * WG) {
            float v[8];
            [[unroll]] for (uint i = 0u; i < 8u; i++) { uint k = k0 + WG * i; v[i] = k < K ? XS(r0 * K + k) : 0.0; }
            [[unroll]] for (uint i = 0u; i < 8u; i++) { uint k = k0 + WG * i; if (k < K) xstSet(k, v[i]); }
        }
    }
    barrier();
}
#else
void prologue(uint r0, uint nr, uint K, float eps) {}
#endif
#endif
