#!/bin/bash
# Session 8: the final build (the persistent kernel as at 770ba1c; argmax.comp with 32 loads
# in flight; SLUICE_PIPELINE_STATS; fallback to one workgroup per multiprocessor) against
# d122bb1 (prev), synthetic SmolLM2 shape, both in this call.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/sl; for b in sluice prev; do python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/$b.xz'), open('/tmp/sl/$b','wb'))"; chmod +x /tmp/sl/$b; done
S="--synthetic smollm2-135m"
SLUICE_PIPELINE_STATS=persistent timeout 60 /tmp/sl/sluice bench $S -p 0 -n 16 -r 1 2>&1 | grep -E "pipeline|resident"
for round in 1 2 3; do for b in prev sluice; do echo "== $b"; timeout 60 /tmp/sl/$b bench $S -p 0 -n 128 -r 5 2>&1 | grep -E "resident|tg128"; done; done
for b in prev sluice; do echo "== $b"; timeout 100 /tmp/sl/$b bench $S -p 0 -n 64 -d 2048 -r 3 2>&1 | grep -E "resident|tg64"; done
for b in prev sluice; do echo "== $b"; timeout 100 /tmp/sl/$b bench $S -p 0 -n 64 -r 1 --profile 2>&1 | grep -E "^persistent |^add_rms_matmul |^argmax|^total"; done
