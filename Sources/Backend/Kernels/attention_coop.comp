#version 450
// variants: R=32,64 KV=f32,f16
// requires: coopmat
// Causal attention for many query rows (prefill) on matrix cores (VK_KHR_cooperative_matrix),
// flash-attention style, for head sizes up to 64: one workgroup per (head, R query rows),
// R / 16 subgroups of 32 with 16 rows each (R = 32, twice the workgroups for models with few
// heads, measured no faster: an A/B variant). The workgroup walks the keys in tiles of 64 staged
// in shared memory as float16; a subgroup forms its 16 × 64 scores as 16×16×16 products
// (Q · Kᵀ), takes them through shared memory to its lanes for the online softmax (two lanes a
// row, 32 keys each), writes the probabilities back as float16 and forms P · V the same way;
// the lanes rescale and add that to the output rows they hold (32 values each). Q (scaled),
// K, V and P are rounded to float16 (about 3 significant digits); scores, sums and the output
// stay float32. Needs subgroups of 32 and the 16×16×16 float16 shape (the lowering checks);
// head_dim and the K/V row width multiples of 4, head_dim ≤ 64 (zero-padded to 64).
#include "coop_common.glsl"
#extension GL_KHR_shader_subgroup_shuffle : require
#if defined(R_32)
#define BR 32u
#else
#define BR 64u
#endif
#define NSG (BR / 16u)
layout(local_size_x = 32u * NSG) in;
#include "common.glsl"
#include "kvcache.glsl"
layout(std430, binding = 1) readonly buffer Q { vec4 q4[]; };
layout(std430, binding = 2) readonly buffer K { KVT4 k4[]; };
layout(std430, binding = 3) readonly buffer V { KVT4 v4[]; };
layout(std430, binding = 4) writeonly buffer Y { vec4 y4[]; };
layout(push_constant) uniform PC { uvec2 rows; uint heads; uint kvHeads; uint headDim; uint window; float scale; } pc;

// Rows a workgroup, keys a tile; staged rows are 64 halves + 8 of padding (9 uvec4); the
// float scratch rows 64 + 4 floats.
const uint BC = 64u, HS = 9u, FS = 68u, NT = 32u * NSG;
shared uvec4 ks[BC * HS];           // K tile [key][d]: Kᵀ is column-major d × key
shared uvec4 vs[BC * HS];           // V tile [key][d]
shared uvec4 ps[NSG * 16u * HS];     // per subgroup: its Q rows, then P [row][key], float16
shared float fs[NSG * 16u * FS];     // per subgroup: scores, then P · V [row][·], float32

void main() {
    uint t = gl_LocalInvocationID.x, sg = gl_SubgroupID, lane = gl_SubgroupInvocationID;
    uint rows = affine(pc.rows), D4 = pc.headDim >> 2;
    uint qw4 = pc.heads * D4, kw4 = pc.kvHeads * D4;
    uint h = gl_WorkGroupID.x, g = h / (pc.heads / pc.kvHeads);
    // This lane's row of the subgroup's 16 and its half (hf) of the keys / output values.
    uint rr = lane >> 1, hf = lane & 1u;
    uint pbase = sg * 16u * HS, fbase = sg * 16u * FS;
    for (uint r0 = gl_WorkGroupID.y * BR; r0 < rows; r0 += gl_NumWorkGroups.y * BR) {
        uint s0 = r0 + 16u * sg, row = s0 + rr;
        bool live = row < rows;
        uint p = stepv.P + row, lo = firstKey(p, pc.window);
        // The subgroup's 16 query rows, scaled, as float16: four 16 × 16 A fragments.
        for (uint e = lane; e < 16u * 8u; e += 32u) {
            uint r = e >> 3, c = e & 7u, i = 2u * c, qr = s0 + r;
            vec4 a = qr < rows && i < D4 ? q4[qr * qw4 + h * D4 + i] * pc.scale : vec4(0.0);
            vec4 b = qr < rows && i + 1u < D4 ? q4[qr * qw4 + h * D4 + i + 1u] * pc.scale : vec4(0.0);
            ps[pbase + r * HS + c] = packHalves(a, b);
        }
        subgroupMemoryBarrierShared();
        subgroupBarrier();
        FRAG_A qa[4];
        [[unroll]] for (uint d = 0u; d < 4u; d++) coopMatLoad(qa[d], ps, pbase + 2u * d, HS, gl_CooperativeMatrixLayoutRowMajor);
        float m = -3.4e38, l = 0.0;
        float o[32];
        [[unroll]] for (uint i = 0u; i < 32u; i++) o[i] = 0.0;
        // Keys any row of this workgroup may see, in tiles of BC; the subgroup's own span.
        uint start = firstKey(stepv.P + r0, pc.window), hi = stepv.P + min(r0 + BR, rows);
        uint sfirst = firstKey(stepv.P + s0, pc.window), slast = stepv.P + min(s0 + 15u, rows - 1u);
        for (uint j0 = start; j0 < hi; j0 += BC) {
            // Stage: slot e takes key e / 2, values 32·(e % 2) … + 31 of K and of V.
            [[unroll]] for (uint e = t; e < 2u * BC; e += NT) {
                uint kr = e >> 1, key = j0 + kr, c0 = 8u * (e & 1u);
                [[unroll]] for (uint c = 0u; c < 8u; c += 2u) {
                    uint i = c0 + c, src = key * kw4 + g * D4 + i;
                    bool ok0 = key < hi && i < D4, ok1 = key < hi && i + 1u < D4;
                    ks[kr * HS + (i >> 1)] = packHalves(ok0 ? vec4(k4[src]) : vec4(0.0), ok1 ? vec4(k4[src + 1u]) : vec4(0.0));
                    vs[kr * HS + (i >> 1)] = packHalves(ok0 ? vec4(v4[src]) : vec4(0.0), ok1 ? vec4(v4[src + 1u]) : vec4(0.0));
                }
            }
            barrier();
            // Skip a tile none of the subgroup's rows sees (uniform in the subgroup).
            if (s0 < rows && j0 <= slast && j0 + BC > sfirst) {
                // Scores S = Q · Kᵀ, 16 × 64, into fs.
                [[unroll]] for (uint kb = 0u; kb < 4u; kb++) {
                    FRAG_C sc = FRAG_C(0.0);
                    [[unroll]] for (uint d = 0u; d < 4u; d++) {
                        FRAG_B kf;
                        coopMatLoad(kf, ks, kb * 16u * HS + 2u * d, HS, gl_CooperativeMatrixLayoutColumnMajor);
                        sc = coopMatMulAdd(qa[d], kf, sc);
                    }
                    coopMatStore(sc, fs, fbase + kb * 16u, FS, gl_CooperativeMatrixLayoutRowMajor);
                }
                subgroupMemoryBarrierShared();
                subgroupBarrier();
                // Online softmax over this lane's 32 keys j0 + 32·hf + i.
                float s[32];
                float tm = -3.4e38;
                [[unroll]] for (uint i = 0u; i < 32u; i++) {
                    uint kk = j0 + 32u * hf + i;
                    s[i] = live && kk <= p && kk >= lo ? fs[fbase + rr * FS + 32u * hf + i] : -3.4e38;
                    tm = max(tm, s[i]);
                }
                tm = max(tm, subgroupShuffleXor(tm, 1u));
                float mn = max(m, tm), corr = exp(m - mn), ls = 0.0;
                [[unroll]] for (uint i = 0u; i < 32u; i += 8u) {
                    float e[8];
                    [[unroll]] for (uint j = 0u; j < 8u; j++) {
                        e[j] = s[i + j] > -3.0e38 ? exp(s[i + j] - mn) : 0.0;
                        ls += e[j];
                    }
                    ps[pbase + rr * HS + 4u * hf + i / 8u] = packHalves(vec4(e[0], e[1], e[2], e[3]), vec4(e[4], e[5], e[6], e[7]));
                }
                ls += subgroupShuffleXor(ls, 1u);
                l = l * corr + ls;
                m = mn;
                subgroupMemoryBarrierShared();
                subgroupBarrier();
                // P · V, 16 × 64, into fs (the scores are all read).
                FRAG_A pa[4];
                [[unroll]] for (uint kb = 0u; kb < 4u; kb++) coopMatLoad(pa[kb], ps, pbase + 2u * kb, HS, gl_CooperativeMatrixLayoutRowMajor);
                [[unroll]] for (uint d = 0u; d < 4u; d++) {
                    FRAG_C oc = FRAG_C(0.0);
                    [[unroll]] for (uint kb = 0u; kb < 4u; kb++) {
                        FRAG_B vf;
                        coopMatLoad(vf, vs, kb * 16u * HS + 2u * d, HS, gl_CooperativeMatrixLayoutRowMajor);
                        oc = coopMatMulAdd(pa[kb], vf, oc);
                    }
                    coopMatStore(oc, fs, fbase + d * 16u, FS, gl_CooperativeMatrixLayoutRowMajor);
                }
                subgroupMemoryBarrierShared();
                subgroupBarrier();
                [[unroll]] for (uint i = 0u; i < 32u; i++) o[i] = o[i] * corr + fs[fbase + rr * FS + 32u * hf + i];
                subgroupMemoryBarrierShared();
                subgroupBarrier();
            }
            barrier();
        }
        if (live) {
            float inv = l > 0.0 ? 1.0 / l : 0.0;
            [[unroll]] for (uint i = 0u; i < 8u; i++) {
                uint d4 = 8u * hf + i;
                if (d4 < D4) y4[row * qw4 + h * D4 + d4] = vec4(o[4u * i], o[4u * i + 1u], o[4u * i + 2u], o[4u * i + 3u]) * inv;
            }
        }
    }
}
