#!/bin/bash
# Session 8: register counts of persistent-kernel variants (WG 256): B without the merged
# staging, C without the attention register path, D without both.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/sl; for b in vB vC; do python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/$b.xz'), open('/tmp/sl/$b','wb'))"; chmod +x /tmp/sl/$b; done
S="--synthetic smollm2-135m"
for b in vB vC; do
  off=""; [ $b != vC ] && off=merge
  echo "== $b"; SLUICE_PERSISTENT_OFF=$off SLUICE_PIPELINE_STATS=persistent timeout 60 /tmp/sl/$b bench $S -p 0 -n 128 -r 3 2>&1 | grep -E "pipeline|resident|tg128"
done
