// What the many-row matrix kernels (matmul_tiled.comp, matmul_coop.comp) share: which
// weight row feeds each of a tile's TILE_WCOLS columns, and the epilogue.
// Before including: pc (with the push constants of the EPI), xs/ys or qs/kc/vc, gelu.glsl,
// qkvpairs.glsl.

// Output columns of the tile per EPI (pairs for QKV, gate/up pairs for the gated kernels).
// TILE_WCOLS: weight rows a tile stages (64 unless the kernel says otherwise).
#if !defined(TILE_WCOLS)
#define TILE_WCOLS 64u
#endif
#if defined(EPI_NONE)
const uint TILE_COLS = TILE_WCOLS;
#else
const uint TILE_COLS = TILE_WCOLS / 2u;
#endif

// Output columns of the whole product (pairs for QKV).
uint tileN() {
#if defined(EPI_QKV)
    return (pc.heads + 2u * pc.kvHeads) * pc.headDim / 2u;
#else
    return pc.N;
#endif
}

// The weight row wn behind column wr (0 ..< TILE_WCOLS) of the tile whose first output column is n0;
// false where that column is past the end.
bool tileWeightRow(uint n0, uint wr, uint N, out uint wn) {
#if defined(EPI_NONE)
    wn = n0 + wr;
    return wn < N;
#elif defined(EPI_QKV)
    wn = 0u;
    if (n0 + wr / 2u >= N) return false;
    uint D = pc.headDim, ca, cb, fi; bool rotate;
    qkvPair(n0 + wr / 2u, pc.heads * D, pc.kvHeads * D, D, pc.dims, pc.mode, ca, cb, fi, rotate);
    wn = (wr & 1u) == 0u ? ca : cb;
    return true;
#else
    // TILE_COLS gate rows, then the matching up rows (w = [W_gate; W_up]).
    wn = (wr < TILE_COLS ? 0u : N) + n0 + (wr % TILE_COLS);
    return n0 + (wr % TILE_COLS) < N;
#endif
}

// The epilogue: an invocation's 4×4 block of a 64-row tile's products, rows r0 + 4·ty + i, stored per EPI_*:
// EPI_NONE / EPI_QKV: columns n0 + 4·tx + j (QKV: output pairs n0 + 2·tx + j, RoPE and the
// cache writes); EPI_SWIGLU / EPI_GEGLU: acc[i][0..1] are gate columns n0 + 2·tx + j and
// acc[i][2..3] the matching up columns, stored as act(gate) · up.
void storeTile(uint rows, uint N, uint r0, uint n0, uint tx, uint ty, float acc[4][4]) {
#if defined(EPI_QKV)
    uint D = pc.headDim, qd = pc.heads * D, kvd = pc.kvHeads * D;
#endif
    [[unroll]] for (uint i = 0u; i < 4u; i++) {
        uint r = r0 + ty * 4u + i;
        if (r >= rows) continue;
#if defined(EPI_NONE)
        [[unroll]] for (uint j = 0u; j < 4u; j++) {
            uint n = n0 + tx * 4u + j;
            if (n < N) ys[r * pc.Nstride + pc.nOff + n] = acc[i][j];
        }
#elif defined(EPI_QKV)
        [[unroll]] for (uint j = 0u; j < 2u; j++) {
            uint p = n0 + tx * 2u + j;
            if (p >= N) continue;
            uint ca, cb, fi; bool rotate;
            qkvPair(p, qd, kvd, D, pc.dims, pc.mode, ca, cb, fi, rotate);
            QKV_STORE(r, acc[i][2u * j], acc[i][2u * j + 1u])
        }
#else
        [[unroll]] for (uint j = 0u; j < 2u; j++) {
            uint n = n0 + tx * 2u + j;
            float g = acc[i][j];
#if defined(EPI_SWIGLU)
            float a = g / (1.0 + exp(-g));
#else
            float a = pc.erf != 0u ? geluErf(g) : geluTanh(g);
#endif
            if (n < N) ys[r * pc.Nstride + n] = a * acc[i][j + 2u];
        }
#endif
    }
}
