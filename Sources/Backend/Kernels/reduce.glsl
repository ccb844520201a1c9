// Workgroup sum and max of one float per invocation, through subgroup operations
// (RED_SUBGROUP) or shared memory (RED_SHARED). WG is the workgroup size (a power of two).
#if defined(RED_SUBGROUP)
#extension GL_KHR_shader_subgroup_arithmetic : enable
#extension GL_KHR_shader_subgroup_basic : enable
shared float red_s[WG];
float wgSum(float v) {
    float s = subgroupAdd(v);
    if (subgroupElect()) red_s[gl_SubgroupID] = s;
    barrier();
    float t = 0.0;
    for (uint i = 0u; i < gl_NumSubgroups; i++) t += red_s[i];
    barrier();
    return t;
}
float wgMax(float v) {
    float s = subgroupMax(v);
    if (subgroupElect()) red_s[gl_SubgroupID] = s;
    barrier();
    float t = red_s[0];
    for (uint i = 1u; i < gl_NumSubgroups; i++) t = max(t, red_s[i]);
    barrier();
    return t;
}
#else
shared float red_s[WG];
float wgSum(float v) {
    uint t = gl_LocalInvocationID.x;
    red_s[t] = v;
    barrier();
    for (uint s = WG / 2u; s > 0u; s >>= 1) {
        if (t < s) red_s[t] += red_s[t + s];
        barrier();
    }
    float r = red_s[0];
    barrier();
    return r;
}
float wgMax(float v) {
    uint t = gl_LocalInvocationID.x;
    red_s[t] = v;
    barrier();
    for (uint s = WG / 2u; s > 0u; s >>= 1) {
        if (t < s) red_s[t] = max(red_s[t], red_s[t + s]);
        barrier();
    }
    float r = red_s[0];
    barrier();
    return r;
}
#endif
