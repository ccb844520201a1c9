// The element type of the K/V caches: float32, or float16 with KV_F16 (variant KV=f32,f16):
// 16-bit storage buffers (storageBuffer16BitAccess), values widened to float32 on load and
// rounded to nearest on store; all arithmetic stays float32.
#if defined(KV_F16)
#extension GL_EXT_shader_16bit_storage : require
#define KVT float16_t
#define KVT4 f16vec4
#else
#define KVT float
#define KVT4 vec4
#endif
