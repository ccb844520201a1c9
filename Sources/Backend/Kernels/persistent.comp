#version 450
// variants: W=f32,f16,bf16,q4_0,q4_1,q8_0 KV=f32,f16
// A run of a decode step's matrix and attention kernels in ONE dispatch (the persistent
// kernel). The executor turns consecutive dispatches of matmul, matmul_swiglu,
// matmul_geglu, qkv_rope (each with its norm prologue) and attention_split whose weights
// are all of type W into a table of stages; every workgroup of this dispatch walks the
// table, doing its share of each stage, and where the schedule had a barrier the
// workgroups meet at a grid barrier (an arrival counter in `sync`) instead of the GPU
// draining and relaunching. The operands are reached through buffer device addresses.
// Each stage computes what its own kernel computes (up to the order of float additions:
// the input row is staged in shared memory once per workgroup, two columns share a pass).
// Between arriving at a barrier and waiting, each workgroup starts loading its share of
// the next stage's weights.
// In dataflow mode (persistent_flow.glsl; where every matrix stage stages its row) there are
// no grid barriers: the values passed between stages carry this run's tag, and each stage
// waits for its own inputs' tags.
// Both modes need every workgroup of the dispatch resident at once; a wait longer than
// `spinLimit` polls sets `sync.failed` and every later one gives up at once, and the host
// then reruns the step with fewer workgroups or ordinary dispatches.
#include "persistent.glsl"
