#version 450
// variants: W=f32,f16,bf16,q4_0,q4_1,q5_0,q5_1,q8_0,q4_k,q6_k EPI=none,swiglu,geglu,qkv,qkvh
// requires: coopmat
// matmul_coop.comp with 128-row tiles (coop_tiles.glsl): a subgroup multiplies 2 × 2 blocks
// of 16 × 16, so each staged weight value serves twice the rows and each fragment two
// products. One unit a subgroup: needs eight subgroups or more (subgroups of at most 32);
// the grid's rows in 128s. For products with enough tiles to fill the GPU
// (StandardKernels.coopTall).
#define COOP_BM 128u
#define COOP_UNITS 1u
#include "coop_tiles.glsl"
