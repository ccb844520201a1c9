#!/bin/bash
# Session 12: slices per head (SLUICE_ATTENTION_SPLITS 16 = default, 32) × long-slice handling (built-in = f1 hybrid: first 64 keys from xsh, rest from the caches; f2 = all through xsh in 64-key chunks, SLUICE_KERNEL_DIR).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/n; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/n.xz'), open('/tmp/n/sluice','wb'))"; chmod +x /tmp/n/sluice
B=/tmp/n/sluice; S="--synthetic smollm2-135m"
timeout 60 $B bench $S -p 512 -n 64 -r 2 >/dev/null 2>&1
summ() { python3 -c "
import json,sys,hashlib
d=json.load(sys.stdin)
print(' | '.join('%s %.1f ± %.1f' % (t['test'], t['tokens_per_second'], t['sd']) for t in d['tests']))"; }
for sp in 16 32; do for v in builtin f2; do
  echo "== splits $sp kernel $v: $(SLUICE_ATTENTION_SPLITS=$sp SLUICE_KERNEL_DIR=.dev/k/$v timeout 100 $B bench $S -p 0 -n 128 -d 0,2048,4096 -r 2 --json 2>/dev/null | summ)"
done; done
