// The body of matmul_coop.comp, matmul_coop_tall.comp and matmul_coop_wide.comp, and of their
// _x16 forms (COOP_BM rows and COOP_BN columns a tile, COOP_UNITS units a subgroup): K in steps of 64 staged in shared memory as float16 and multiplied by the
// subgroups as 16×16×16 cooperative matrices with float32 accumulation. Each invocation
// stages 16 consecutive values of one weight row and of one or two input rows a step, as
// 16-byte stores; the next step's words are loaded (coop_pieces.glsl) before the subgroups
// multiply the current one and decoded after, so the loads' latency overlaps the products.
// Activations are rounded to float16 (about 3 significant digits) on the way in, or come as
// float16 (X16: the *_x16.comp kernels, from half_rows.comp). Needs
// K % 32 == 0 (a last half step is zero-filled) and a device that lists the 16×16×16
// float16 × float16 + float32 subgroup shape.
#include "coop_common.glsl"
// Weight rows (columns of the product) a tile stages and invocations a workgroup: 64 and 256
// unless the kernel says otherwise (matmul_coop_wide.comp: 128 and 512).
#if !defined(COOP_BN)
#define COOP_BN 64u
#endif
#if !defined(COOP_WG)
#define COOP_WG 256u
#endif
layout(local_size_x = COOP_WG) in;
#define TILE_WCOLS COOP_BN
#include "common.glsl"
#include "tile_io.glsl"
#include "coop_pieces.glsl"

// Rows of a tile (64 or 128: COOP_BM), the step, and the staged rows' stride in 16-byte words
// (64 halves + 8 of padding: an invocation's two stores fall on distinct banks across a
// quarter subgroup). (64 × 128 tiles, a subgroup taking 16 × 64: slower, TinyLlama
// Q4_K_M-style pp512 26.2k against 29.0k; docs/bench/h200-s21/c3.)
const uint BM = COOP_BM, BN = COOP_BN, BK = 64u, AS4 = 9u, CS = BN + 4u;
// Rows (of weights and of x) one pass of the workgroup stages: four invocations a row. The
// weights take one pass (BN = SR), x BM / SR.
const uint SR = COOP_WG / 4u, XJ = BM / SR;
// A subgroup's unit: FM 16-row blocks by two 16-column blocks (each fragment loaded once for
// the unit's FM·2 products); 4 × BN / 32 units a tile (eight, or sixteen for BN = 128), at
// most UNITS a subgroup. (Two units of 2 × 2 a subgroup spill: pp512 13.0k.)
const uint FM = BM / 64u, FN = 2u, UNITS = COOP_UNITS, NUNITS = 4u * BN / (16u * FN);
#if defined(COOP_ALIAS)
// One array for the staged tiles and, after the K loop, the products (64 rows of BN + 4
// floats fit in the two tiles' words): within 48 KiB for 128 × 128 tiles.
shared uvec4 sm4[(BM + BN) * AS4];
#define AT sm4
#define BT sm4
#define BT_O (BM * AS4)
#define CT sm4
#define CT_DIV 4u
#define CT_GET(i) uintBitsToFloat(sm4[(i) >> 2][(i) & 3u])
#else
shared uvec4 at4[BM * AS4];     // x tile, row-major [row][k], float16 pairs
shared uvec4 bt4[BN * AS4];     // weight tile [column][k]: B = column-major K × BN
shared float ct[64u * CS];      // 64 rows of the tile's products, row-major
#define AT at4
#define BT bt4
#define BT_O 0u
#define CT ct
#define CT_DIV 1u
#define CT_GET(i) ct[i]
#endif

void main() {
    uint rows = affine(pc.rows), K = pc.K, t = gl_LocalInvocationID.x;
    uint tx = t % (BN / 4u), ty = t / (BN / 4u);
    uint N = tileN();
    uint sg = gl_SubgroupID, nsg = gl_NumSubgroups;
    // This invocation's share of a step: weight row wr and input rows wr + SR·j, values
    // 16·s … 16·s + 15.
    uint wr = t / 4u, s = t % 4u;
    for (uint r0 = gl_WorkGroupID.y * BM; r0 < rows; r0 += gl_NumWorkGroups.y * BM) {
        for (uint n0 = gl_WorkGroupID.x * TILE_COLS; n0 < N; n0 += gl_NumWorkGroups.x * TILE_COLS) {
            FRAG_C c[UNITS * FM * FN];
            [[unroll]] for (uint i = 0u; i < UNITS * FM * FN; i++) c[i] = FRAG_C(0.0);
            uint wn;
            bool wok = tileWeightRow(n0, wr, N, wn);
            uint k = 16u * s;
            Piece16 wp = weightPiece(wok && k < K, wn, K, k);
            XPIECE xq[XJ][XPN];
            [[unroll]] for (uint j = 0u; j < XJ; j++) inputPiece(r0 + wr + SR * j < rows && k < K, r0 + wr + SR * j, K, k, xq[j]);
            for (uint k0 = 0u; k0 < K; k0 += BK) {
                uint p = wr * AS4 + 2u * s;
                uvec4 wh[2];
                weightHalves(wp, wn, K, k0 + 16u * s, wh);
                BT[BT_O + p] = wh[0]; BT[BT_O + p + 1u] = wh[1];
                [[unroll]] for (uint j = 0u; j < XJ; j++) {
                    AT[p + SR * AS4 * j] = xHalves(xq[j], 0u);
                    AT[p + SR * AS4 * j + 1u] = xHalves(xq[j], 1u);
                }
                barrier();
                if (k0 + BK < K) {
                    k = k0 + BK + 16u * s;
                    wp = weightPiece(wok && k < K, wn, K, k);
                    [[unroll]] for (uint j = 0u; j < XJ; j++) inputPiece(r0 + wr + SR * j < rows && k < K, r0 + wr + SR * j, K, k, xq[j]);
                }
                [[unroll]] for (uint i = 0u; i < UNITS; i++) {
                    uint u = sg + i * nsg;
                    if (u < NUNITS) {
                        uint fm = (u & 3u) * FM, fn = (u >> 2) * FN;
                        [[unroll]] for (uint kk = 0u; kk < BK / 8u; kk += 2u) {
                            FRAG_A a[FM];
                            FRAG_B b[FN];
                            [[unroll]] for (uint m = 0u; m < FM; m++) coopMatLoad(a[m], AT, (fm + m) * 16u * AS4 + kk, AS4, gl_CooperativeMatrixLayoutRowMajor);
                            [[unroll]] for (uint n = 0u; n < FN; n++) coopMatLoad(b[n], BT, BT_O + (fn + n) * 16u * AS4 + kk, AS4, gl_CooperativeMatrixLayoutColumnMajor);
                            [[unroll]] for (uint m = 0u; m < FM; m++) [[unroll]] for (uint n = 0u; n < FN; n++)
                                c[(i * FM + m) * FN + n] = coopMatMulAdd(a[m], b[n], c[(i * FM + m) * FN + n]);
                        }
                    }
                }
                barrier();
            }
            // The products 64 rows at a time through ct, then matmul_tiled's epilogue.
            [[unroll]] for (uint hm = 0u; hm < FM; hm++) {
                [[unroll]] for (uint i = 0u; i < UNITS; i++) {
                    uint u = sg + i * nsg;
                    if (u < NUNITS) {
                        uint fm = (u & 3u) * FM, fn = (u >> 2) * FN;
                        [[unroll]] for (uint m = 0u; m < FM; m++) [[unroll]] for (uint n = 0u; n < FN; n++) {
                            uint rb = fm + m;
                            if (rb / 4u == hm)
                                coopMatStore(c[(i * FM + m) * FN + n], CT, ((rb & 3u) * 16u * CS + (fn + n) * 16u) / CT_DIV, CS / CT_DIV, gl_CooperativeMatrixLayoutRowMajor);
                        }
                    }
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
                        acc[i][j] = CT_GET((ty * 4u + i) * CS + col);
                    }
                }
                storeTile(rows, N, r0 + 64u * hm, n0, tx, ty, acc);
                barrier();
            }
        }
    }
}
