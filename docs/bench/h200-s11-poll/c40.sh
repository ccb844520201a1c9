#!/bin/bash
# Session 11: the floor of a dataflow stage hand-over: chains of 60 identical matrix stages.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/sl; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/sluice.xz'), open('/tmp/sl/sluice','wb'))"; chmod +x /tmp/sl/sluice
nvidia-smi --query-gpu=clocks.sm,clocks.max.sm --format=csv
S="--synthetic smollm2-135m"
timeout 60 /tmp/sl/sluice bench $S -p 512 -n 64 -r 2 >/dev/null 2>&1
for g in .dev/mb/*.graph; do
  echo "== $g"; SLUICE_PERSISTENT=1 timeout 60 /tmp/sl/sluice run $g --repeats 50 2>&1 | grep -E "time|dispatches"
  SLUICE_PERSISTENT=1 timeout 60 /tmp/sl/sluice run $g --profile --repeats 50 2>&1 | grep -A4 "^per run"
done
