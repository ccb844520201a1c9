#version 450
// variants: D=64,128,256 KV=f32,f16
// requires: coopmat
// Causal attention for many query rows (prefill) on matrix cores for head sizes up to 256
// (Gemma 3: 256; attention_coop.comp's 64-row tiles hold the output in registers and stop
// at 64). One workgroup per (head, 16 query rows): four subgroups of 32, each owning a
// quarter of head_dim (DS values). The keys go by in tiles of 16 staged in shared memory as
// float16; each subgroup forms its quarter's partial scores (16 × 16, Q · Kᵀ over DS values)
// with 16×16×16 products, the workgroup sums the four for the online softmax (eight
// invocations a row, two keys each), writes the probabilities as float16, and each subgroup
// forms P · V for its quarter and adds it to the output its lanes hold (DS / 2 values each,
// rescaled by the row's factor). Q (scaled), K, V and P are rounded to float16; scores, sums
// and the output stay float32. Needs subgroups of 32 and the 16×16×16 float16 shape (the
// lowering checks); head_dim a multiple of 4 and ≤ D (zero-padded to D).
#include "coop_common.glsl"
#extension GL_KHR_shader_subgroup_shuffle : require
layout(local_size_x = 128) in;
#include "common.glsl"
#include "kvcache.glsl"
layout(std430, binding = 1) readonly buffer Q { vec4 q4[]; };
layout(std430, binding = 2) readonly buffer K { KVT4 k4[]; };
layout(std430, binding = 3) readonly buffer V { KVT4 v4[]; };
layout(std430, binding = 4) writeonly buffer Y { vec4 y4[]; };
layout(push_constant) uniform PC { uvec2 rows; uint heads; uint kvHeads; uint headDim; uint window; float scale; } pc;

#if defined(D_64)
const uint D = 64u;
#elif defined(D_128)
const uint D = 128u;
#else
const uint D = 256u;
#endif
// A subgroup's quarter of head_dim and its 16-value fragments; staged rows are D halves and
// one 16-byte word of padding (HS words); float scratch rows FS floats; P rows 3 words.
const uint DS = D / 4u, DF = DS / 16u, HS = D / 8u + 1u, FS = DS + 4u, PS = 3u;
shared uvec4 ks[16u * HS];          // Q at first, then the K tile [key][d]
shared uvec4 vs[16u * HS];          // V tile [key][d]
shared float fs[4u * 16u * FS];     // per subgroup: partial scores, then its P · V
shared uvec4 pw[16u * PS];          // P [row][key], float16
shared float rowc[16u];             // per row: the tile's rescale factor, at the end 1 / sum

void main() {
    uint t = gl_LocalInvocationID.x, sg = gl_SubgroupID, lane = gl_SubgroupInvocationID;
    uint rows = affine(pc.rows), D4 = pc.headDim >> 2;
    uint qw4 = pc.heads * D4, kw4 = pc.kvHeads * D4;
    uint h = gl_WorkGroupID.x, g = h / (pc.heads / pc.kvHeads);
    // Softmax: row sr, keys sk and sk + 1. Output: row rr, values d0 … d0 + DS/2 − 1.
    uint sr = t >> 3, sk = 2u * (t & 7u);
    uint rr = lane >> 1, d0 = sg * DS + (lane & 1u) * (DS / 2u);
    uint fbase = sg * 16u * FS;
    for (uint r0 = gl_WorkGroupID.y * 16u; r0 < rows; r0 += gl_NumWorkGroups.y * 16u) {
        // The 16 query rows, scaled, as float16; each subgroup keeps its quarter.
        for (uint e = t; e < 16u * (D / 8u); e += 128u) {
            uint r = e / (D / 8u), c = e - r * (D / 8u), i = 2u * c, qr = r0 + r;
            vec4 a = qr < rows && i < D4 ? q4[qr * qw4 + h * D4 + i] * pc.scale : vec4(0.0);
            vec4 b = qr < rows && i + 1u < D4 ? q4[qr * qw4 + h * D4 + i + 1u] * pc.scale : vec4(0.0);
            ks[r * HS + c] = packHalves(a, b);
        }
        barrier();
        FRAG_A qa[DF];
        [[unroll]] for (uint f = 0u; f < DF; f++) coopMatLoad(qa[f], ks, (sg * DS + 16u * f) / 8u, HS, gl_CooperativeMatrixLayoutRowMajor);
        barrier();
        uint srow = r0 + sr, p = stepv.P + srow, lo = firstKey(p, pc.window);
        bool slive = srow < rows;
        float m = -3.4e38, l = 0.0;
        float o[DS / 2u];
        [[unroll]] for (uint i = 0u; i < DS / 2u; i++) o[i] = 0.0;
        uint start = firstKey(stepv.P + r0, pc.window), hi = stepv.P + min(r0 + 16u, rows);
        for (uint j0 = start; j0 < hi; j0 += 16u) {
            for (uint e = t; e < 16u * (D / 8u); e += 128u) {
                uint c = e / (D / 8u), w = e - c * (D / 8u), i = 2u * w, key = j0 + c;
                uint src = key * kw4 + g * D4 + i;
                bool ok0 = key < hi && i < D4, ok1 = key < hi && i + 1u < D4;
                ks[c * HS + w] = packHalves(ok0 ? vec4(k4[src]) : vec4(0.0), ok1 ? vec4(k4[src + 1u]) : vec4(0.0));
                vs[c * HS + w] = packHalves(ok0 ? vec4(v4[src]) : vec4(0.0), ok1 ? vec4(v4[src + 1u]) : vec4(0.0));
            }
            barrier();
            // This subgroup's partial scores over its quarter of head_dim.
            FRAG_C sc = FRAG_C(0.0);
            [[unroll]] for (uint f = 0u; f < DF; f++) {
                FRAG_B kf;
                coopMatLoad(kf, ks, (sg * DS + 16u * f) / 8u, HS, gl_CooperativeMatrixLayoutColumnMajor);
                sc = coopMatMulAdd(qa[f], kf, sc);
            }
            coopMatStore(sc, fs, fbase, FS, gl_CooperativeMatrixLayoutRowMajor);
            barrier();
            // Online softmax: the four partials summed; eight invocations (one subgroup) a row.
            float s0 = 0.0, s1 = 0.0;
            [[unroll]] for (uint q = 0u; q < 4u; q++) {
                s0 += fs[q * 16u * FS + sr * FS + sk];
                s1 += fs[q * 16u * FS + sr * FS + sk + 1u];
            }
            uint k0 = j0 + sk;
            bool v0 = slive && k0 <= p && k0 >= lo, v1 = slive && k0 + 1u <= p && k0 + 1u >= lo;
            float tm = max(v0 ? s0 : -3.4e38, v1 ? s1 : -3.4e38);
            tm = max(tm, subgroupShuffleXor(tm, 1u));
            tm = max(tm, subgroupShuffleXor(tm, 2u));
            tm = max(tm, subgroupShuffleXor(tm, 4u));
            float mn = max(m, tm), corr = exp(m - mn);
            float e0 = v0 ? exp(s0 - mn) : 0.0, e1 = v1 ? exp(s1 - mn) : 0.0, ls = e0 + e1;
            ls += subgroupShuffleXor(ls, 1u);
            ls += subgroupShuffleXor(ls, 2u);
            ls += subgroupShuffleXor(ls, 4u);
            l = l * corr + ls;
            m = mn;
            pw[sr * PS + (sk >> 3)][(sk >> 1) & 3u] = packHalf2x16(vec2(e0, e1));
            if ((t & 7u) == 0u) rowc[sr] = corr;
            barrier();
            // P · V for this subgroup's quarter, through its scratch into the lanes' rows.
            FRAG_A pa;
            coopMatLoad(pa, pw, 0u, PS, gl_CooperativeMatrixLayoutRowMajor);
            [[unroll]] for (uint f = 0u; f < DF; f++) {
                FRAG_B vf;
                coopMatLoad(vf, vs, (sg * DS + 16u * f) / 8u, HS, gl_CooperativeMatrixLayoutRowMajor);
                FRAG_C oc = coopMatMulAdd(pa, vf, FRAG_C(0.0));
                coopMatStore(oc, fs, fbase + 16u * f, FS, gl_CooperativeMatrixLayoutRowMajor);
            }
            subgroupMemoryBarrierShared();
            subgroupBarrier();
            float c = rowc[rr];
            [[unroll]] for (uint i = 0u; i < DS / 2u; i++) o[i] = o[i] * c + fs[fbase + rr * FS + (lane & 1u) * (DS / 2u) + i];
            barrier();
        }
        if ((t & 7u) == 0u) rowc[sr] = l > 0.0 ? 1.0 / l : 0.0;
        barrier();
        uint row = r0 + rr;
        if (row < rows) {
            float inv = rowc[rr];
            [[unroll]] for (uint i = 0u; i < DS / 8u; i++) {
                uint d4 = d0 / 4u + i;
                if (d4 < D4) y4[row * qw4 + h * D4 + d4] = vec4(o[4u * i], o[4u * i + 1u], o[4u * i + 2u], o[4u * i + 3u]) * inv;
            }
        }
        barrier();
    }
}
