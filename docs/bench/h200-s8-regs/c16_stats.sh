#!/bin/bash
# Session 8: the driver's statistics of the persistent kernel's pipelines (registers).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/sl; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/sluice.xz'), open('/tmp/sl/sluice','wb'))"; chmod +x /tmp/sl/sluice
S="--synthetic smollm2-135m"
SLUICE_PIPELINE_STATS=persistent timeout 100 /tmp/sl/sluice bench $S -p 0 -n 16 -r 1 2>&1 | grep -v "^|" | head -20
SLUICE_PIPELINE_STATS=matmul_q4_1_subgroup_none timeout 100 /tmp/sl/sluice bench $S -p 0 -n 16 -r 1 2>&1 | grep pipeline | head -3
