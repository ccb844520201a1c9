#!/usr/bin/env bash
# Build and run the whole test suite with the Khronos validation layer on.
# Expects scripts/setup.sh to have run (`make test` does both).
#
# Usage: scripts/test.sh [swift test arguments...]   e.g. scripts/test.sh --filter GraphTests
# Environment:
#   SLUICE_JOBS   build jobs (default: number of CPUs)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# A Swift toolchain unpacked in /opt/swift works even when it is not on PATH.
[[ -x /opt/swift/usr/bin/swift ]] && export PATH="$PATH:/opt/swift/usr/bin"
command -v swift >/dev/null || { echo "test: error: swift not found; run scripts/setup.sh" >&2; exit 1; }

VALIDATION_JSON=/usr/share/vulkan/explicit_layer.d/VkLayer_khronos_validation.json
if [[ -f "$VALIDATION_JSON" ]]; then
    export VK_INSTANCE_LAYERS=VK_LAYER_KHRONOS_validation
else
    echo "test: warning: $VALIDATION_JSON not found; running without the validation layer" \
         "(apt-get install vulkan-validationlayers)" >&2
fi
# Tells the backend to install a debug messenger and fail on any validation message.
export SLUICE_VALIDATION=1

[[ -x "$ROOT/.venv/bin/python3" ]] \
    || { echo "test: error: $ROOT/.venv is missing; run scripts/setup.sh" >&2; exit 1; }
export PATH="$ROOT/.venv/bin:$PATH"
export SLUICE_PYTHON="$ROOT/.venv/bin/python3"
export SLUICE_MODEL="$ROOT/models/SmolLM2-135M-Instruct.Q4_1.gguf"
[[ -f "$SLUICE_MODEL" ]] \
    || echo "test: warning: $SLUICE_MODEL is missing; run scripts/fetch-model.sh" >&2

jobs="${SLUICE_JOBS:-$(nproc 2>/dev/null || echo 2)}"

echo "test: swift build --build-tests --jobs $jobs"
swift build --build-tests --jobs "$jobs"
echo "test: swift test"
# Tests run serially: no --parallel.
if [[ $# -eq 0 ]]; then
    # The kernels with the other shapes first: shared-memory reductions instead of subgroup
    # operations, the storage-buffer matrix kernels (CPU drivers get the texel ones), and
    # the subgroup and tiled matrix kernels that GPUs use. (Only the kernel test classes of
    # BackendTests: the end-to-end persistent-kernel tests run once, in the whole suite.)
    echo "test: kernels with SLUICE_SUBGROUPS=0"
    SLUICE_SUBGROUPS=0 swift test --skip-build --disable-swift-testing --filter 'BackendTests\.[A-Za-z]*KernelTests'
    echo "test: kernels with SLUICE_MATMUL_VARIANT=shared"
    SLUICE_MATMUL_VARIANT=shared swift test --skip-build --disable-swift-testing --filter 'BackendTests\.[A-Za-z]*KernelTests'
    echo "test: kernels with SLUICE_MATMUL_VARIANT=subgroup"
    SLUICE_MATMUL_VARIANT=subgroup swift test --skip-build --disable-swift-testing --filter 'BackendTests\.[A-Za-z]*KernelTests'
    echo "test: kernels with SLUICE_TILED=1"
    SLUICE_TILED=1 swift test --skip-build --disable-swift-testing --filter 'BackendTests\.[A-Za-z]*KernelTests'
fi
echo "test: the whole suite"
swift test --skip-build --disable-swift-testing "$@"
