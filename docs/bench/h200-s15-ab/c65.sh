#!/bin/bash
# Session 15: --profile of the current kernel (attention's handoff column new), and the
# previous commit's persistent kernel (.dev/kv/prev: counted merge, no tagged-partials code)
# against the current one, alternating.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/n; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/n.xz'), open('/tmp/n/sluice','wb'))"; chmod +x /tmp/n/sluice
B=/tmp/n/sluice; S="--synthetic smollm2-135m"
mkdir -p $OUT/r
timeout 60 $B bench $S -p 512 -n 64 -r 2 >/dev/null 2>&1
SLUICE_PIPELINE_STATS=persistent_q4 SLUICE_KERNEL_DIR=.dev/kv/prev timeout 60 $B bench $S -p 0 -n 4 -r 1 2>&1 | grep -i "regist" | head -3
summ() { python3 -c "
import json,sys
d=json.load(sys.stdin)
print(' | '.join('%s %.1f ± %.1f %s' % (t['test'], t['tokens_per_second'], t['sd'], t.get('ids',[])[:3]) for t in d['tests']))"; }
D="-d 0,512,2048"
for round in 1 2; do
  echo "== cur:  $(timeout 100 $B bench $S -p 0 -n 128 $D -r 3 --json 2>/dev/null | summ)"
  echo "== prev: $(SLUICE_KERNEL_DIR=.dev/kv/prev timeout 100 $B bench $S -p 0 -n 128 $D -r 3 --json 2>/dev/null | summ)"
done
timeout 100 $B bench $S -p 0 -n 128 -r 1 --profile > $OUT/r/profile.out 2>&1; tail -14 $OUT/r/profile.out
timeout 100 $B bench $S -p 0 -n 128 -d 2048 -r 1 --profile > $OUT/r/profile_d2048.out 2>&1; tail -9 $OUT/r/profile_d2048.out
