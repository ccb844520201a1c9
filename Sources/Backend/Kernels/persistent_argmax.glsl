// The persistent kernel's argmax (argmax.comp's work, stage kind 5): every workgroup finds
// the best (value, index) of its share of each row, writes it to the stage's scratch and
// counts itself in; the last to arrive picks the best of the pairs, writes the row's index
// and resets the count. No grid barrier: the count orders the writes. Scratch (zeroed, kept
// zero between runs): word 0 the count, then a pair per (row, workgroup).
// Fused (the stage's norm field 1): the one-row matrix product before it, whose output is
// the argmax's row, keeps the best of each subgroup's columns as it writes them and calls
// argmaxPick at its end (persistent.glsl's matrixStage), and the argmax stage does nothing.
// Before including: WG, stages, run, Floats, Uints, best.glsl.
shared float amv[WG];
shared uint ami[WG];
shared uint amLast;

// The workgroup's best of (bv, bi) in amv[0], ami[0]; every invocation calls it.
void bestOfWorkgroup(float bv, uint bi) {
    uint t = gl_LocalInvocationID.x;
    amv[t] = bv; ami[t] = bi;
    barrier();
    for (uint s = WG / 2u; s > 0u; s >>= 1) {
        if (t < s && better(amv[t + s], ami[t + s], amv[t], ami[t])) { amv[t] = amv[t + s]; ami[t] = ami[t + s]; }
        barrier();
    }
}

// Row r's pair of this workgroup: the best of the invocations' (bv, bi).
void argmaxPair(uint si, uint r, float bv, uint bi) {
    bestOfWorkgroup(bv, bi);
    Uints scratch = Uints(stages[si].ptr[5]);
    uint at = 1u + 2u * (r * run.groups + gl_WorkGroupID.x);
    if (gl_LocalInvocationID.x == 0u) { scratch.d[at] = floatBitsToUint(amv[0]); scratch.d[at + 1u] = ami[0]; }
    barrier();
}

// After the pairs of every row: counts the workgroup in; the last picks each row's index.
void argmaxPick(uint si, uint rows) {
    Uints Y = Uints(stages[si].ptr[4]), scratch = Uints(stages[si].ptr[5]);
    uint G = run.groups, t = gl_LocalInvocationID.x;
    memoryBarrierBuffer();
    barrier();
    if (t == 0u) amLast = atomicAdd(scratch.d[0], 1u, gl_ScopeDevice, gl_StorageSemanticsBuffer, gl_SemanticsAcquireRelease) == G - 1u ? 1u : 0u;
    barrier();
    if (amLast == 0u) return;
    memoryBarrierBuffer();
    for (uint r = 0u; r < rows; r++) {
        float bv = -3.4e38; uint bi = NONE;
        for (uint g = t; g < G; g += WG) {
            float v = uintBitsToFloat(scratch.d[1u + 2u * (r * G + g)]);
            uint i = scratch.d[2u + 2u * (r * G + g)];
            if (better(v, i, bv, bi)) { bv = v; bi = i; }
        }
        bestOfWorkgroup(bv, bi);
        if (t == 0u) Y.d[r] = ami[0];
        barrier();
    }
    if (t == 0u) scratch.d[0] = 0u;
}

void argmaxStage(uint si) {
    if (stages[si].norm == 1u) return;
    uint rows = affine(uvec2(stages[si].push[0], stages[si].push[1])), D = stages[si].push[2];
    Floats X = Floats(stages[si].ptr[0]);
    uint chunk = (D + run.groups - 1u) / run.groups, lo = min(gl_WorkGroupID.x * chunk, D), hi = min(lo + chunk, D);
    for (uint r = 0u; r < rows; r++) {
        float bv = -3.4e38; uint bi = NONE;
        for (uint i0 = lo + gl_LocalInvocationID.x; i0 < hi; i0 += 8u * WG) {
            float v[8];
            [[unroll]] for (uint k = 0u; k < 8u; k++) v[k] = i0 + WG * k < hi ? X.d[r * D + i0 + WG * k] : 0.0;
            [[unroll]] for (uint k = 0u; k < 8u; k++) {
                uint i = i0 + WG * k;
                if (i < hi && better(v[k], i, bv, bi)) { bv = v[k]; bi = i; }
            }
        }
        argmaxPair(si, r, bv, bi);
    }
    argmaxPick(si, rows);
}
