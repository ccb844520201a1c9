#include <vulkan/vulkan.h>

// VK_KHR_cooperative_matrix's structures under our own names: older Vulkan headers (Debian
// bookworm's 1.3.239) lack them, newer ones have them; the layout is the extension's.
typedef struct SluiceCoopMatProperties {
    VkStructureType sType;            // VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_KHR = 1000506001
    void *pNext;
    uint32_t MSize, NSize, KSize;
    int32_t AType, BType, CType, ResultType;   // VkComponentTypeKHR: 0 float16, 1 float32, …
    VkBool32 saturatingAccumulation;
    int32_t scope;                    // VkScopeKHR: 3 subgroup
} SluiceCoopMatProperties;

typedef struct SluiceCoopMatFeatures {
    VkStructureType sType;            // VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_KHR = 1000506000
    void *pNext;
    VkBool32 cooperativeMatrix;
    VkBool32 cooperativeMatrixRobustBufferAccess;
} SluiceCoopMatFeatures;

typedef VkResult (*SluiceCoopMatPropertiesFn)(VkPhysicalDevice, uint32_t *, SluiceCoopMatProperties *);
