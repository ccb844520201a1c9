#!/bin/bash
# Session 17's A/B calls share this (sourced from the repository root on the GPU machine):
# the Vulkan loader, the sluice binary unpacked from the .xz named by $1 (if any) into
# /tmp/n/sluice ($B), the synthetic model's flag ($S), summ (a bench --json as one line: each
# test's mean ± sd and its first two greedy ids) and ab.
# (The calls c1–c12 ran with this preamble written out in each script; it was moved here after.)
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/n
if [ -n "${1:-}" ]; then
  python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('$1'), open('/tmp/n/sluice','wb'))"; chmod +x /tmp/n/sluice
fi
B=/tmp/n/sluice; S="--synthetic smollm2-135m"
summ() { python3 -c "
import json,sys
d=json.load(sys.stdin)
print(' | '.join('%s %.1f ± %.1f %s' % (t['test'], t['tokens_per_second'], t['sd'], t.get('ids',[])[:2]) for t in d['tests']))"; }
# ab V…: a warm-up, each kernel variant's registers (SLUICE_KERNEL_DIR=.dev/s17/k/V), then two
# rounds of tg128 at depths 0, 512 and 2048 (-r 3) for each variant in turn.
ab() {
  timeout 60 $B bench $S -p 512 -n 64 -r 2 2>&1 | tail -1
  for v in "$@"; do
    echo "$v: $(SLUICE_KERNEL_DIR=.dev/s17/k/$v SLUICE_PIPELINE_STATS=persistent_q4 timeout 60 $B bench $S -p 0 -n 4 -r 1 2>&1 | grep -i "regist" | head -1 | cut -c1-200)"
  done
  for round in 1 2; do
    for v in "$@"; do
      echo "== $v: $(SLUICE_KERNEL_DIR=.dev/s17/k/$v timeout 100 $B bench $S -p 0 -n 128 -d 0,512,2048 -r 3 --json 2>/dev/null | summ)"
    done
  done
}
