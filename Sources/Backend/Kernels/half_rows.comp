#version 450
// The rows of x (rows · K float32 values, K a multiple of 8) as float16, eight values an
// invocation in one 16-byte store: the input of the matrix-core products that read x as
// float16 (matmul_coop*_x16.comp), made once instead of once per column tile.
layout(local_size_x = 256) in;
#include "common.glsl"
layout(std430, binding = 1) readonly buffer X { vec4 xs4[]; };
layout(std430, binding = 2) writeonly buffer Y { uvec4 ys4[]; };
layout(push_constant) uniform PC { uvec2 rows; uint K; } pc;

void main() {
    uint n = affine(pc.rows) * pc.K / 8u;
    for (uint e = gl_GlobalInvocationID.x; e < n; e += gl_NumWorkGroups.x * 256u) {
        vec4 a = xs4[2u * e], b = xs4[2u * e + 1u];
        ys4[e] = uvec4(packHalf2x16(a.xy), packHalf2x16(a.zw), packHalf2x16(b.xy), packHalf2x16(b.zw));
    }
}
