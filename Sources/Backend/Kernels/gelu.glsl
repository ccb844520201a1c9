// GELU, exact (erf) and tanh-approximated; shared by unary.comp and matmul_geglu.comp.

// erf with |error| < 1.5e-7 (Abramowitz & Stegun 7.1.26).
float erf_(float x) {
    float s = sign(x), a = abs(x);
    float t = 1.0 / (1.0 + 0.3275911 * a);
    float y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-a * a);
    return s * y;
}

float geluErf(float x) { return 0.5 * x * (1.0 + erf_(x * 0.7071067811865476)); }

float geluTanh(float x) {
    float u = clamp(0.7978845608028654 * (x + 0.044715 * x * x * x), -15.0, 15.0);
    return 0.5 * x * (1.0 + tanh(u));
}
