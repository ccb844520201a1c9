// The argmax kernels' shared parts (argmax.comp, argmax_split.comp, head_chain.comp), workgroups of 256:
// candidates are (value, index) pairs, the lowest index winning ties; NONE is no candidate.
// Before including: float xs[] (the rows), or ARGMAX_REDUCE_ONLY for better and reduceBest alone.
const uint NONE = 0xFFFFFFFFu;
shared float sv[256];
shared uint si[256];

// Whether (v, i) beats (bv, bi): larger, or equal with a lower index.
bool better(float v, uint i, float bv, uint bi) {
    return i != NONE && (bi == NONE || v > bv || (v == bv && i < bi));
}

#if !defined(ARGMAX_REDUCE_ONLY)
// This invocation's best of values lo ..< hi of the row at `base`, eight loads in flight per
// step (a 49,152-value row is 24 dependent steps for one workgroup, not 768).
void scanBest(uint base, uint lo, uint hi, inout float bv, inout uint bi) {
    for (uint i0 = lo + gl_LocalInvocationID.x; i0 < hi; i0 += 8u * 256u) {
        float v[8];
        [[unroll]] for (uint k = 0u; k < 8u; k++) v[k] = xs[base + min(i0 + 256u * k, hi - 1u)];
        [[unroll]] for (uint k = 0u; k < 8u; k++) {
            uint i = i0 + 256u * k;
            if (i < hi && better(v[k], i, bv, bi)) { bv = v[k]; bi = i; }
        }
    }
}

#endif

// The workgroup's best of the candidates its invocations hold (every invocation calls it).
void reduceBest(inout float bv, inout uint bi) {
    uint t = gl_LocalInvocationID.x;
    sv[t] = bv; si[t] = bi;
    barrier();
    for (uint s = 128u; s > 0u; s >>= 1) {
        if (t < s && better(sv[t + s], si[t + s], sv[t], si[t])) { sv[t] = sv[t + s]; si[t] = si[t + s]; }
        barrier();
    }
    bv = sv[0]; bi = si[0];
    barrier();
}
