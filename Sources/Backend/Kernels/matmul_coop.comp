#version 450
// variants: W=f32,f16,bf16,q4_0,q4_1,q5_0,q5_1,q8_0,q4_k,q6_k EPI=none,swiglu,geglu,qkv,qkvh
// requires: coopmat
// Many-row matrix product on matrix cores (VK_KHR_cooperative_matrix): the 64-row × 64-column
// output tiles of matmul_tiled.comp, with the same bindings, push constants, grid and
// epilogue (coop_tiles.glsl). matmul_coop_tall.comp takes 128 rows a tile.
#define COOP_BM 64u
#define COOP_UNITS 2u
#include "coop_tiles.glsl"
