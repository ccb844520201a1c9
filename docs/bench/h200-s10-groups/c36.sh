#!/bin/bash
# Session 10: the persistent kernel's workgroup count (SLUICE_PERSISTENT_GROUPS; default two per
# multiprocessor, 264 on the H200) — same binary (commit 269ee65), synthetic SmolLM2 shape.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/sl; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/sluice.xz'), open('/tmp/sl/sluice','wb'))"; chmod +x /tmp/sl/sluice
S="--synthetic smollm2-135m"
timeout 60 /tmp/sl/sluice bench $S -p 512 -n 32 -r 3 > /dev/null 2>&1
summ() { python3 -c "
import json,sys,hashlib
d=json.load(sys.stdin)
for t in d['tests']: print(t['test'], round(t['tokens_per_second'],1), round(t['sd'],1), t.get('ids',[])[:4], 'checksums', hashlib.md5(repr([round(x,4) for x in t.get('logit_checksums',[])]).encode()).hexdigest()[:8])"; }
for round in 1 2; do
  for g in 264 240 200 160 132; do
    echo "== groups $g"; SLUICE_PERSISTENT_GROUPS=$g timeout 60 /tmp/sl/sluice bench $S -p 0 -n 128 -r 5 --json 2>/dev/null | summ
  done
done
for g in 264 200; do
  echo "== groups $g d2048"; SLUICE_PERSISTENT_GROUPS=$g timeout 100 /tmp/sl/sluice bench $S -p 0 -n 64 -d 2048 -r 3 2>&1 | grep -E "resident|tg64"
done
