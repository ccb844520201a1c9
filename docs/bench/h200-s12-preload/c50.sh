#!/bin/bash
# Session 12: attention units preload their slice's cached keys/values into shared memory before waiting (on) vs SLUICE_PERSISTENT_OFF=preload; same binary.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/n; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/n.xz'), open('/tmp/n/sluice','wb'))"; chmod +x /tmp/n/sluice
B=/tmp/n/sluice; S="--synthetic smollm2-135m"
SLUICE_PIPELINE_STATS=persistent timeout 60 $B bench $S -p 0 -n 16 -r 1 2>&1 | grep -iE "regist" | head -2
timeout 60 $B bench $S -p 512 -n 64 -r 2 >/dev/null 2>&1
summ() { python3 -c "
import json,sys,hashlib
d=json.load(sys.stdin)
for t in d['tests']: print(t['test'], round(t['tokens_per_second'],1), round(t['sd'],1), t.get('ids',[])[:4], 'checksums', hashlib.md5(repr([round(x,4) for x in t.get('logit_checksums',[])]).encode()).hexdigest()[:8])"; }
for round in 1 2; do
  for off in none preload; do echo "== $off $(SLUICE_PERSISTENT_OFF=$off timeout 60 $B bench $S -p 0 -n 128 -r 5 --json 2>/dev/null | summ)"; done
done
for off in none preload; do echo "== $off depth"; SLUICE_PERSISTENT_OFF=$off timeout 120 $B bench $S -p 0 -n 64 -d 512,1024,2048 -r 3 2>&1 | grep -E "tg64"; done
for off in none preload; do echo "== profile $off"; SLUICE_PERSISTENT_OFF=$off timeout 60 $B bench $S -p 0 -n 64 -r 1 --profile 2>&1 | sed -n '/^per run/,/^dataflow/p'; done
