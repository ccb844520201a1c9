#version 450
// variants: W=f32,f16,bf16,q4_0,q4_1,q5_0,q5_1,q8_0,q4_k,q6_k EPI=none,swiglu,geglu,qkv,qkvh
// requires: coopmat
// matmul_coop.comp with 128 × 128 tiles (coop_tiles.glsl): 512 invocations, sixteen subgroups
// of 2 × 2 blocks of 16 × 16. Each staged input row serves twice the columns of
// matmul_coop_tall.comp's 128 × 64 tiles, so a product reads its float32 input rows half as
// many times — what its tiles wait on (docs/bench/h200-s23 c3). The staged tiles and the
// products share one shared array (36 KiB). For products with enough tiles to fill the GPU
// (StandardKernels.coopWide).
#define COOP_BM 128u
#define COOP_BN 128u
#define COOP_WG 512u
#define COOP_UNITS 1u
#define COOP_ALIAS 1
#include "coop_tiles.glsl"
