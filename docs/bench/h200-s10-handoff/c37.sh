#!/bin/bash
# Session 10: --profile's handoff column (of each matrix stage's critical path, the part until
# the last input row is staged), synthetic SmolLM2 shape, and the real-model-like depth 2048.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/sl; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/sluice.xz'), open('/tmp/sl/sluice','wb'))"; chmod +x /tmp/sl/sluice
S="--synthetic smollm2-135m"
timeout 60 /tmp/sl/sluice bench $S -p 512 -n 32 -r 3 > /dev/null 2>&1
timeout 60 /tmp/sl/sluice bench $S -p 0 -n 64 -r 1 --profile 2>&1 | sed -n '/^decode/,$p'
timeout 100 /tmp/sl/sluice bench $S -p 0 -n 64 -d 2048 -r 1 --profile 2>&1 | sed -n '/^persistent kernel/,$p'
