#!/bin/bash
# Session 15 A/B (synthetic SmolLM2 shape): new binary (attention keys swizzled in shared
# memory, the split merge's loads batched) against SLUICE_PERSISTENT_OFF=swizzle, the old
# persistent kernel (.dev/kv/old), and the input-row swizzle XSWZ (.dev/kv/xs: persistent +
# head; .dev/kv/xsh: head only).
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
for round in 1 2; do
  echo "== new:     $(timeout 100 $B bench $S -p 0 -n 128 -d 0,512,2048 -r 3 --json 2>/dev/null | summ)"
  echo "== noswz:   $(SLUICE_PERSISTENT_OFF=swizzle timeout 100 $B bench $S -p 0 -n 128 -d 0,512,2048 -r 3 --json 2>/dev/null | summ)"
  echo "== old:     $(SLUICE_KERNEL_DIR=.dev/kv/old timeout 100 $B bench $S -p 0 -n 128 -d 0,512,2048 -r 3 --json 2>/dev/null | summ)"
  echo "== xs:      $(SLUICE_KERNEL_DIR=.dev/kv/xs timeout 100 $B bench $S -p 0 -n 128 -d 0,512,2048 -r 3 --json 2>/dev/null | summ)"
  echo "== xsh:     $(SLUICE_KERNEL_DIR=.dev/kv/xsh timeout 100 $B bench $S -p 0 -n 128 -d 0,512,2048 -r 3 --json 2>/dev/null | summ)"
done
for v in new old xs; do
  d=.dev/kv/$v; [ $v = new ] && d=/nonexistent
  SLUICE_KERNEL_DIR=$d SLUICE_CHAIN_STAMPS=1 timeout 60 $B bench $S -p 0 -n 128 -r 1 > $OUT/r/stamps_$v.out 2> $OUT/r/stamps_$v.err
  echo "-- stamps $v"; grep "chain of 32" $OUT/r/stamps_$v.err | head -3
done
