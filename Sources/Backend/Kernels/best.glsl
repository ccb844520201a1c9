// The argmax order: whether (v, i) beats (bv, bi): larger, or equal with a lower index
// (i = ~0: none). Shared by argmax.comp and the persistent kernel's argmax stage.
const uint NONE = 0xFFFFFFFFu;
bool better(float v, uint i, float bv, uint bi) {
    return i != NONE && (bi == NONE || v > bv || (v == bv && i < bi));
}
