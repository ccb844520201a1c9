// The inner product loop shared by the matrix kernels: for output column n and a tile of
// up to R rows starting at r0, acc[j] = Σ_k x[r0+j, k] · w[n, k].
// Before including: prologue.glsl (the x loads, XV), the weight buffer as WBUF (weights.glsl), and
// RED_SUBGROUP or RED_SHARED. With RED_SUBGROUP the lanes of a subgroup split K and the
// caller reduces acc with subgroupAdd; with RED_SHARED one invocation walks all of K.
#if defined(RED_SUBGROUP)
#extension GL_KHR_shader_subgroup_arithmetic : enable
#extension GL_KHR_shader_subgroup_basic : enable
#endif
// Rows per tile. The texel variant (CPU drivers, where prefill runs here rather than in the
// tiled kernels) takes it as specialization constant 0: 8 for prefill, so each weight block
// is dequantized once for eight rows, and 1 for decode (lavapipe runs both sides of a branch,
// so rows a tile does not have still cost their loads).
#if defined(RED_TEXEL)
layout(constant_id = 0) const uint R = 1u;
#else
const uint R = 1u;
#endif

void rowDots(uint n, uint r0, uint nr, uint K, uint lane, uint lanes, inout float acc[R]) {
#if defined(RED_SUBGROUP)
    // Lanes take 8-value pieces of the blocks, so a subgroup keeps all its lanes busy on
    // short rows (K = 576 is 18 blocks but 72 pieces).
    if ((K & 31u) == 0u) {
        float w[8];
        for (uint c = lane; c < K / 8u; c += lanes) {
            uint kb = (c >> 2) * 32u, s = c & 3u;
            dequant8(n * K + kb, s, w);
            [[unroll]] for (uint j = 0u; j < R; j++) {
                if (j < nr) {
                    uint xo = (r0 + j) * K + kb + 8u * s;
                    float t = 0.0;
                    [[unroll]] for (uint i = 0u; i < 8u; i++) t += w[i] * XV(xo + i, j, kb + 8u * s + i);
                    acc[j] += t;
                }
            }
        }
        return;
    }
#endif
    if ((K & 31u) == 0u) {
        float w[32];
        for (uint kb = lane * 32u; kb < K; kb += lanes * 32u) {
            dequant32(n * K + kb, w);
            [[unroll]] for (uint j = 0u; j < R; j++) {
                if (j < nr) {
                    // Rows past the tile's (j ≥ nr) read its last row, unused: lavapipe runs
                    // both sides of the condition, and no texel fetch may leave x's view.
                    uint xo = (r0 + min(j, nr - 1u)) * K + kb;
                    float s = 0.0;
#if defined(X_VEC4)
                    // Without a prologue x is plain: four values per load.
                    [[unroll]] for (uint i = 0u; i < 8u; i++)
                        s += dot(vec4(w[4u * i], w[4u * i + 1u], w[4u * i + 2u], w[4u * i + 3u]), XS4((xo >> 2) + i));
#else
                    [[unroll]] for (uint i = 0u; i < 32u; i++) s += w[i] * XV(xo + i, j, kb + i);
#endif
                    acc[j] += s;
                }
            }
        }
    } else {
        for (uint k = lane; k < K; k += lanes) {
            float wv = loadW(n * K + k);
            [[unroll]] for (uint j = 0u; j < R; j++) if (j < nr) acc[j] += wv * XV((r0 + min(j, nr - 1u)) * K + k, j, k);
        }
    }
}

// Which columns this invocation (or subgroup) owns, and how lanes split K.
#if defined(RED_SUBGROUP)
#define COLUMN_SETUP(lane, lanes, first, stride) \
    uint lane = gl_SubgroupInvocationID, lanes = gl_SubgroupSize; \
    uint first = gl_WorkGroupID.x * gl_NumSubgroups + gl_SubgroupID, stride = gl_NumWorkGroups.x * gl_NumSubgroups;
#define REDUCE(acc) [[unroll]] for (uint j_ = 0u; j_ < R; j_++) acc[j_] = subgroupAdd(acc[j_]);
#define LEADER (gl_SubgroupInvocationID == 0u)
#else
#define COLUMN_SETUP(lane, lanes, first, stride) \
    uint lane = 0u, lanes = 1u; \
    uint first = gl_GlobalInvocationID.x, stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
#define REDUCE(acc)
#define LEADER true
#endif
