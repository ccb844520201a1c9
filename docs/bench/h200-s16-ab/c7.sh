#!/bin/bash
# Session 16, c7: the output projection fused into the attention stage (counted sums), with
# R replicas of each head's last slice (SLUICE_PERSISTENT_HEAD_ROWS: output elements per
# replica; 576 = one unit per head), against SLUICE_PERSISTENT_OFF=fuse.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/n; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/b/n.xz'), open('/tmp/n/sluice','wb'))"; chmod +x /tmp/n/sluice
B=/tmp/n/sluice; S="--synthetic smollm2-135m"
timeout 60 $B bench $S -p 512 -n 64 -r 2 2>&1 | tail -2
SLUICE_PIPELINE_STATS=persistent_q4 timeout 60 $B bench $S -p 0 -n 4 -r 1 2>&1 | grep -i "regist" | head -1 | cut -c1-200
summ() { python3 -c "
import json,sys
d=json.load(sys.stdin)
print(' | '.join('%s %.1f ± %.1f %s' % (t['test'], t['tokens_per_second'], t['sd'], t.get('ids',[])[:2]) for t in d['tests']))"; }
D="-d 0,512,2048"
for round in 1 2; do
  echo "== fuse192: $(timeout 100 $B bench $S -p 0 -n 128 $D -r 3 --json 2>/dev/null | summ)"
  echo "== off:     $(SLUICE_PERSISTENT_OFF=fuse timeout 100 $B bench $S -p 0 -n 128 $D -r 3 --json 2>/dev/null | summ)"
  for hr in 96 144 288 576; do
  echo "== fuse$hr: $(SLUICE_PERSISTENT_HEAD_ROWS=$hr timeout 100 $B bench $S -p 0 -n 128 $D -r 3 --json 2>/dev/null | summ)"
  done
done
for o in none fuse; do SLUICE_PERSISTENT_OFF=$o SLUICE_CHAIN_STAMPS=1 timeout 60 $B bench $S -p 0 -n 128 -r 1 2>&1 | grep "chain of" | sed -n '4,8p;'; done
timeout 60 $B bench $S -p 0 -n 32 -r 1 --profile 2>&1 | tail -9
