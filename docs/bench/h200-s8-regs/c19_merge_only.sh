#!/bin/bash
# Session 8: the persistent kernel with partials-only attention merged by the output
# projection (no register path, no argmax stage), PMAX 4 (vE) and 6 (vF): registers, speed.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/sl; for b in vE vF; do python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/$b.xz'), open('/tmp/sl/$b','wb'))"; chmod +x /tmp/sl/$b; done
S="--synthetic smollm2-135m"
for b in vE vF; do echo "== $b"; SLUICE_PIPELINE_STATS=persistent timeout 60 /tmp/sl/$b bench $S -p 0 -n 16 -r 1 2>&1 | grep -E "pipeline|resident"; done
for round in 1 2; do for b in vE vF; do
  echo "== $b"; timeout 60 /tmp/sl/$b bench $S -p 0 -n 128 -r 5 2>&1 | grep -E "resident|tg128"
  SLUICE_PERSISTENT_OFF=merge timeout 60 /tmp/sl/$b bench $S -p 0 -n 128 -r 5 2>&1 | grep -E "resident|tg128" | sed 's/^/merge off: /'
done; done
for b in vE vF; do timeout 100 /tmp/sl/$b bench $S -p 0 -n 64 -d 2048 -r 3 2>&1 | grep -E "resident|tg64"; done
timeout 100 /tmp/sl/vF bench $S -p 0 -n 64 -r 1 --profile 2>&1 | grep -A8 "^persistent kernel"
