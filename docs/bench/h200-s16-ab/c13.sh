#!/bin/bash
# Session 16, c13 (00c4c40): fusedHead's first row's weight loads issued before the unit waits
# for its inputs (early), against the built-in kernel.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/n; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/b/n.xz'), open('/tmp/n/sluice','wb'))"; chmod +x /tmp/n/sluice
B=/tmp/n/sluice; S="--synthetic smollm2-135m"
timeout 60 $B bench $S -p 512 -n 64 -r 2 >/dev/null 2>&1
echo "early: $(SLUICE_PIPELINE_STATS=persistent_q4 SLUICE_KERNEL_DIR=.dev/kv7/early timeout 20 $B bench $S -p 0 -n 4 -r 1 2>&1 | grep -i "regist\|resident" | head -2 | cut -c1-150)"
summ() { python3 -c "
import json,sys
d=json.load(sys.stdin)
print(' | '.join('%s %.1f ± %.1f %s' % (t['test'], t['tokens_per_second'], t['sd'], t.get('ids',[])[:4]) for t in d['tests']))"; }
for round in 1 2; do
  echo "== cur:   $(timeout 100 $B bench $S -p 0 -n 128 -d 0,512,2048 -r 3 --json 2>/dev/null | summ)"
  echo "== early: $(SLUICE_KERNEL_DIR=.dev/kv7/early timeout 100 $B bench $S -p 0 -n 128 -d 0,512,2048 -r 3 --json 2>/dev/null | summ)"
done
