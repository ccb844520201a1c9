#version 450
// variants: RED=shared,subgroup KV=f32,f16
// Split decode attention: workgroup x = head · splits + slice, one (row, head, slice) unit
// each (split_slice.glsl); the counters start zeroed (graph state) and end zeroed.
#extension GL_KHR_memory_scope_semantics : require
#define WG 256u
layout(local_size_x = 256) in;
#include "common.glsl"
#include "kvcache.glsl"
#include "reduce.glsl"
layout(std430, binding = 1) readonly buffer Q { float qs[]; };
layout(std430, binding = 2) readonly buffer K { KVT ks[]; };
layout(std430, binding = 2) readonly buffer K4 { KVT4 ks4[]; };
layout(std430, binding = 3) readonly buffer V { KVT vs[]; };
layout(std430, binding = 4) coherent buffer C { uint counters[]; };
layout(std430, binding = 5) writeonly buffer Y { float ys[]; };
layout(std430, binding = 6) coherent buffer Pt { float ps[]; };
layout(push_constant) uniform PC { uvec2 rows; uint heads; uint kvHeads; uint headDim; uint window; float scale; uint splits; } pc;
const uint MAXD = 256u;
const uint CH = 1024u;
shared float qsh[MAXD];
shared float sc[CH];
#define KC(i) float(ks[i])
#define KC4(i) vec4(ks4[i])
#define VC(i) float(vs[i])
#include "attend.glsl"
shared uint isLast;

#define QIN(i) qs[i]
#define SLICE_OUT(i, v) ys[i] = (v);
#define PART(i) ps[i]
#define COUNTER(i) counters[i]
#define Q_STAGED false
#include "split_slice.glsl"

void main() {
    uint rows = affine(pc.rows);
    for (uint r = gl_WorkGroupID.y; r < rows; r += gl_NumWorkGroups.y) {
        for (uint hs = gl_WorkGroupID.x; hs < pc.heads * pc.splits; hs += gl_NumWorkGroups.x) {
            splitSlice(r, hs, pc.heads, pc.kvHeads, pc.headDim, pc.window, pc.scale, pc.splits);
        }
    }
}
