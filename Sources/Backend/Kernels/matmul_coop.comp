#version 450
// variants: W=f32,f16,bf16,q4_0,q4_1,q5_0,q5_1,q8_0,q4_k,q6_k EPI=none,swiglu,geglu,qkv,qkvh
// requires: coopmat
// Many-row matrix product on matrix cores (VK_KHR_cooperative_matrix): the tiles of
// matmul_tiled.comp (64 rows × 64 columns, K in steps of 32, each weight block dequantized
// once per tile into shared memory) staged as float16, multiplied by the subgroups as
// 16×16×16 cooperative matrices with float32 accumulation; the 16 products of a tile go
// through shared memory to the same epilogue (tile_store.glsl). Same bindings, push
// constants and grid as matmul_tiled. Needs K % 32 == 0 and a device that lists the
// 16×16×16 float16 × float16 + float32 subgroup shape; activations are rounded to float16
// (about 3 significant digits) on the way in.
#extension GL_KHR_cooperative_matrix : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#extension GL_KHR_shader_subgroup_basic : require
layout(local_size_x = 256) in;
#include "common.glsl"
#include "tile_io.glsl"

#define FRAG_A coopmat<float16_t, gl_ScopeSubgroup, 16u, 16u, gl_MatrixUseA>
#define FRAG_B coopmat<float16_t, gl_ScopeSubgroup, 16u, 16u, gl_MatrixUseB>
#define FRAG_C coopmat<float, gl_ScopeSubgroup, 16u, 16u, gl_MatrixUseAccumulator>
const uint BM = 64u, BK = 32u, AS = BK + 8u, CS = 64u + 4u;
shared float16_t at[BM * AS];    // x tile, row-major: [row][k]
shared float16_t bt[64u * AS];   // weight tile [column][k]: B = column-major K × 64
shared float ct[BM * CS];        // the tile's products, row-major

void main() {
    uint rows = affine(pc.rows), K = pc.K, t = gl_LocalInvocationID.x;
    uint tx = t % 16u, ty = t / 16u;
    uint N = tileN();
    // Each subgroup owns the 16×16 blocks f = sg, sg + nsg, … of the 4×4 in a tile (up to 4:
    // subgroups of at least 16 invocations).
    uint sg = gl_SubgroupID, nsg = gl_NumSubgroups;
    for (uint r0 = gl_WorkGroupID.y * BM; r0 < rows; r0 += gl_NumWorkGroups.y * BM) {
        for (uint n0 = gl_WorkGroupID.x * TILE_COLS; n0 < N; n0 += gl_NumWorkGroups.x * TILE_COLS) {
            FRAG_C c[4];
            [[unroll]] for (uint i = 0u; i < 4u; i++) c[i] = FRAG_C(0.0);
            uint wr = t / 4u, s = t % 4u;
            uint wn;
            bool wok = tileWeightRow(n0, wr, N, wn);
            uint xr = r0 + wr;
            bool xok = xr < rows;
            // Step k0's share of the tile (8 weights, 8 activations) is loaded into registers
            // while the subgroups multiply step k0 − 32's, which waits in shared memory.
            float w8[8];
            vec4 xa = vec4(0.0), xb = vec4(0.0);
            if (wok) dequant8(wn * K, s, w8); else { [[unroll]] for (uint i = 0u; i < 8u; i++) w8[i] = 0.0; }
            if (xok) { xa = xs4[(xr * K + 8u * s) >> 2]; xb = xs4[(xr * K + 8u * s + 4u) >> 2]; }
            for (uint k0 = 0u; k0 < K; k0 += BK) {
                [[unroll]] for (uint i = 0u; i < 8u; i++) bt[wr * AS + 8u * s + i] = float16_t(w8[i]);
                [[unroll]] for (uint i = 0u; i < 4u; i++) {
                    at[wr * AS + 8u * s + i] = float16_t(xa[i]);
                    at[wr * AS + 8u * s + 4u + i] = float16_t(xb[i]);
                }
                barrier();
                if (k0 + BK < K) {
                    if (wok) dequant8(wn * K + k0 + BK, s, w8);
                    if (xok) { xa = xs4[(xr * K + k0 + BK + 8u * s) >> 2]; xb = xs4[(xr * K + k0 + BK + 8u * s + 4u) >> 2]; }
                }
                [[unroll]] for (uint i = 0u; i < 4u; i++) {
                    uint f = sg + i * nsg;
                    if (f < 16u) {
                        uint fm = f & 3u, fn = f >> 2;
                        [[unroll]] for (uint kk = 0u; kk < BK; kk += 16u) {
                            FRAG_A a;
                            FRAG_B b;
                            coopMatLoad(a, at, fm * 16u * AS + kk, AS, gl_CooperativeMatrixLayoutRowMajor);
                            coopMatLoad(b, bt, fn * 16u * AS + kk, AS, gl_CooperativeMatrixLayoutColumnMajor);
                            c[i] = coopMatMulAdd(a, b, c[i]);
                        }
                    }
                }
                barrier();
            }
            [[unroll]] for (uint i = 0u; i < 4u; i++) {
                uint f = sg + i * nsg;
                if (f < 16u) coopMatStore(c[i], ct, (f & 3u) * 16u * CS + (f >> 2) * 16u, CS, gl_CooperativeMatrixLayoutRowMajor);
            }
            barrier();
            // The invocation's 4×4 block in matmul_tiled's column order.
            float acc[4][4];
            [[unroll]] for (uint i = 0u; i < 4u; i++) {
                [[unroll]] for (uint j = 0u; j < 4u; j++) {
#if defined(EPI_NONE) || defined(EPI_QKV)
                    uint col = tx * 4u + j;
#else
                    uint col = j < 2u ? tx * 2u + j : TILE_COLS + tx * 2u + j - 2u;
#endif
                    acc[i][j] = ct[(ty * 4u + i) * CS + col];
                }
            }
            storeTile(rows, N, r0, n0, tx, ty, acc);
            barrier();
        }
    }
}
