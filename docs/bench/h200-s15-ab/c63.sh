#!/bin/bash
# Session 15 A/B (synthetic SmolLM2 shape): split attention merged by the output projection
# (built-in, up to 16 slices; .dev/kv/mN: up to N) against SLUICE_PERSISTENT_OFF=merge.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/n; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/n.xz'), open('/tmp/n/sluice','wb'))"; chmod +x /tmp/n/sluice
B=/tmp/n/sluice; S="--synthetic smollm2-135m"
mkdir -p $OUT/r
timeout 60 $B bench $S -p 512 -n 64 -r 2 >/dev/null 2>&1
summ() { python3 -c "
import json,sys
d=json.load(sys.stdin)
print(' | '.join('%s %.1f ± %.1f %s' % (t['test'], t['tokens_per_second'], t['sd'], t.get('ids',[])[:3]) for t in d['tests']))"; }
D="-d 0,256,512,2048"
for round in 1 2; do
  echo "== merge16: $(timeout 100 $B bench $S -p 0 -n 128 $D -r 3 --json 2>/dev/null | summ)"
  echo "== off:     $(SLUICE_PERSISTENT_OFF=merge timeout 100 $B bench $S -p 0 -n 128 $D -r 3 --json 2>/dev/null | summ)"
  for c in 2 4 8; do
  echo "== merge$c:  $(SLUICE_KERNEL_DIR=.dev/kv/m$c timeout 100 $B bench $S -p 0 -n 128 $D -r 3 --json 2>/dev/null | summ)"
  done
done
SLUICE_CHAIN_STAMPS=1 timeout 60 $B bench $S -p 0 -n 128 -r 1 > $OUT/r/stamps.out 2> $OUT/r/stamps.err; grep "chain of 32" $OUT/r/stamps.err
SLUICE_PERSISTENT_OFF=merge SLUICE_CHAIN_STAMPS=1 timeout 60 $B bench $S -p 0 -n 128 -r 1 > $OUT/r/stamps_off.out 2> $OUT/r/stamps_off.err; grep "chain of 32" $OUT/r/stamps_off.err
SLUICE_PIPELINE_STATS=persistent_q4 timeout 60 $B bench $S -p 0 -n 4 -r 1 2>&1 | grep -i -A3 "regist\|persistent_q4" | head -12
