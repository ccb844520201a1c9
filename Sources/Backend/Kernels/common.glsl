// Shared by every kernel: the per-run step values (binding 0) and sizes that depend on T.
#extension GL_EXT_control_flow_attributes : enable

layout(std430, set = 0, binding = 0) readonly buffer StepValues {
    uint T;   // rows this run
    uint P;   // rows already in the KV cache
    uint C;   // cache capacity
    uint pad;
} stepv;

// The cache rows before this run's first row as the shared kernel parts see them (the
// persistent kernel adds its chain step: persistent.glsl).
#ifndef STEP_P
#define STEP_P stepv.P
#endif

// A size that depends on the rows of this run: a.x + a.y * T (uint arithmetic wraps, so
// a.x may encode a negative offset such as T - 1).
uint affine(uvec2 a) { return a.x + a.y * stepv.T; }

// The first key a query at position p sees: p + 1 − window with a sliding window, else 0.
uint firstKey(uint p, uint window) { return (window > 0u && p + 1u > window) ? p + 1u - window : 0u; }
