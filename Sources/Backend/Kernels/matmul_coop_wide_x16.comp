#version 450
// variants: W=f32,f16,bf16,q4_0,q4_1,q5_0,q5_1,q8_0,q4_k,q6_k EPI=none,swiglu,geglu,qkv,qkvh
// requires: coopmat
// matmul_coop_wide.comp reading its input rows as float16 (X16: half_rows.comp made them once for the
// product; StandardKernels.coopHalfInput).
#define COOP_BM 128u
#define COOP_BN 128u
#define COOP_WG 512u
#define COOP_UNITS 1u
#define COOP_ALIAS 1
#define X16 1
#include "coop_tiles.glsl"
