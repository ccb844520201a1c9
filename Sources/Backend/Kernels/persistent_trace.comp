#version 450
// variants: W=f32,f16,bf16,q4_0,q4_1,q8_0 KV=f32,f16
// The persistent kernel with timestamps (Kernels/persistent.glsl, TRACE): workgroup by
// workgroup, when each stage starts and has its input row, when the workgroup arrives at
// each grid barrier and has its prefetch in flight; for `--profile` (needs the device's
// shaderDeviceClock).
#define TRACE 1
#include "persistent.glsl"
