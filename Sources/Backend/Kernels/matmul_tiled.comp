#version 450
// variants: W=f32,f16,bf16,q4_0,q4_1,q5_0,q5_1,q8_0,q4_k,q6_k EPI=none,swiglu,geglu,qkv,qkvh
// Many-row matrix product for prefill: y[r, n] = Σ_k x[r, k] · w[n, k] in 64×64 output
// tiles. Each step over K stages a 64×32 tile of x and 64 weight rows × 32 (one quantized
// block per row, dequantized once into shared memory) and every invocation accumulates a
// 4×4 block of outputs from them, so each weight block is read once per 64 rows instead
// of once per 4. EPI_SWIGLU / EPI_GEGLU: w = [W_gate; W_up] (2F rows) and the tile holds
// 32 gate and the matching 32 up rows; y[r, n] = act(gate) · up. EPI_QKV: w = [Wq; Wk; Wv]
// and the tile holds 32 output pairs (qkvpairs.glsl): RoPE, q out, k and v into the caches.
// Needs K % 32 == 0.
layout(local_size_x = 256) in;
#include "common.glsl"
#include "tile_io.glsl"

const uint BM = 64u, BN = 64u, BK = 32u;
shared float xt[BK][BM + 1u];
shared float wt[BK][BN + 1u];

void main() {
    uint rows = affine(pc.rows), K = pc.K, t = gl_LocalInvocationID.x;
    uint tx = t % 16u, ty = t / 16u;
    uint N = tileN();
    const uint cols = TILE_COLS;
    for (uint r0 = gl_WorkGroupID.y * BM; r0 < rows; r0 += gl_NumWorkGroups.y * BM) {
        for (uint n0 = gl_WorkGroupID.x * cols; n0 < N; n0 += gl_NumWorkGroups.x * cols) {
            float acc[4][4];
            [[unroll]] for (uint i = 0u; i < 4u; i++) [[unroll]] for (uint j = 0u; j < 4u; j++) acc[i][j] = 0.0;
            // This invocation's share of the tile loads: weight row wr, piece s (8 values);
            // x row xr, values 8·s … 8·s+7 of the step.
            uint wr = t / 4u, s = t % 4u;
            uint wn;
            bool wok = tileWeightRow(n0, wr, N, wn);
            uint xr = r0 + wr;
            bool xok = xr < rows;
            for (uint k0 = 0u; k0 < K; k0 += BK) {
                float w8[8];
                if (wok) dequant8(wn * K + k0, s, w8); else { [[unroll]] for (uint i = 0u; i < 8u; i++) w8[i] = 0.0; }
                [[unroll]] for (uint i = 0u; i < 8u; i++) {
                    wt[8u * s + i][wr] = w8[i];
                    xt[8u * s + i][wr] = xok ? xs[xr * K + k0 + 8u * s + i] : 0.0;
                }
                barrier();
                for (uint kk = 0u; kk < BK; kk++) {
                    float a[4], b[4];
                    [[unroll]] for (uint i = 0u; i < 4u; i++) a[i] = xt[kk][ty * 4u + i];
#if defined(EPI_NONE) || defined(EPI_QKV)
                    [[unroll]] for (uint j = 0u; j < 4u; j++) b[j] = wt[kk][tx * 4u + j];
#else
                    b[0] = wt[kk][tx * 2u]; b[1] = wt[kk][tx * 2u + 1u];
                    b[2] = wt[kk][cols + tx * 2u]; b[3] = wt[kk][cols + tx * 2u + 1u];
#endif
                    [[unroll]] for (uint i = 0u; i < 4u; i++) [[unroll]] for (uint j = 0u; j < 4u; j++) acc[i][j] += a[i] * b[j];
                }
                barrier();
            }
            storeTile(rows, N, r0, n0, tx, ty, acc);
        }
    }
}
