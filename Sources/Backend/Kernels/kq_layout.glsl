// The staged input row of the K-quant unit kernels (prologue.glsl, wide_product.glsl), KQ_STAGE
// floats (defined before including).
// K-quant weights (kq_units.glsl's kqDot): the row in the order its lanes read it, as vec4s. A
// lane takes a unit of 32 values of a 256-value block and reads their x as 8 vec4s: vec4 j of
// unit l of block b is xst4[64·b + 8·j + l], so the 8 lanes of a quarter subgroup (the 8
// units of a block) read 128 consecutive bytes (no bank conflicts, no padding). q4_k's unit
// l = 2g + h is values 16h … 16h + 15 of sub-blocks 2g and 2g + 1 (j < 4 and j ≥ 4); q6_k's
// unit l = 4h + m is values 8m … 8m + 7 of the four 32-value quarters of half h (j = 2·quarter
// + 0 or 1).
#define XSWIZZLE 1
shared vec4 xst4[KQ_STAGE / 4u];
uint XSLOT(uint k) {
#if defined(W_Q4_K)
    uint r = k & 63u, l = ((k >> 5) & 6u) | ((r >> 4) & 1u), j = ((r >> 5) << 2) | ((r >> 2) & 3u);
#else
    uint w = k & 255u, l = ((w >> 7) << 2) | ((w >> 3) & 3u), j = (((w >> 5) & 3u) << 1) | ((w >> 2) & 1u);
#endif
    return (((k >> 8) * 64u + j * 8u + l) << 2) | (k & 3u);
}
void xstSet(uint k, float v) { uint p = XSLOT(k); xst4[p >> 2][p & 3u] = v; }
void xstScale(uint k, float f) { uint p = XSLOT(k); xst4[p >> 2][p & 3u] *= f; }
