#!/bin/bash
# Session 16, c12 (00c4c40): --profile with the fused kernel (the trace variant's registers and residency).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/n; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/b/n.xz'), open('/tmp/n/sluice','wb'))"; chmod +x /tmp/n/sluice
B=/tmp/n/sluice; S="--synthetic smollm2-135m"
SLUICE_PIPELINE_STATS=persistent timeout 60 $B bench $S -p 0 -n 32 -r 1 --profile 2>&1 | grep -v "^|" | tail -24
