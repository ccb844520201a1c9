#!/bin/bash
# Session 12: long slices. f1 = first 64 keys of a slice preloaded into xsh, the rest from the caches (hybrid); f2 = all keys through xsh in 64-key chunks (as b9ead25, with the first chunk of a long slice now preloaded too); s11 = session 11's last kernel (9b6f8fd). Same binary (b9ead25), SLUICE_KERNEL_DIR.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/n; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/n.xz'), open('/tmp/n/sluice','wb'))"; chmod +x /tmp/n/sluice
B=/tmp/n/sluice; S="--synthetic smollm2-135m"
timeout 60 $B bench $S -p 512 -n 64 -r 2 >/dev/null 2>&1
summ() { python3 -c "
import json,sys,hashlib
d=json.load(sys.stdin)
for t in d['tests']: print(t['test'], round(t['tokens_per_second'],1), round(t['sd'],1), 'checksums', hashlib.md5(repr([round(x,4) for x in t.get('logit_checksums',[])]).encode()).hexdigest()[:8])"; }
for v in f1 f2 s11; do
  echo "== $v $(SLUICE_KERNEL_DIR=.dev/k/$v SLUICE_PIPELINE_STATS=persistent timeout 60 $B bench $S -p 0 -n 8 -r 1 2>&1 | grep -iE 'regist' | head -1 | cut -c1-80)"
  SLUICE_KERNEL_DIR=.dev/k/$v timeout 100 $B bench $S -p 0 -n 128 -d 0,2048,4096 -r 3 --json 2>/dev/null | summ
done
