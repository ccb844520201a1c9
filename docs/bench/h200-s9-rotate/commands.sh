#!/bin/bash
# Session 9: each stage starts at the workgroup where the one before it stopped (dataflow mode) —
# same binary, SLUICE_PERSISTENT_OFF=rotate against on.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/sl; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/sluice.xz'), open('/tmp/sl/sluice','wb'))"; chmod +x /tmp/sl/sluice
S="--synthetic smollm2-135m"
SLUICE_PIPELINE_STATS=persistent timeout 60 /tmp/sl/sluice bench $S -p 0 -n 16 -r 1 2>&1 | grep -E "pipeline|resident"
timeout 60 /tmp/sl/sluice bench $S -p 512 -n 32 -r 2 > /dev/null 2>&1
summ() { python3 -c "
import json,sys,hashlib
d=json.load(sys.stdin)
for t in d['tests']: print(t['test'], round(t['tokens_per_second'],1), round(t['sd'],1), t.get('ids',[])[:4], 'checksums', hashlib.md5(repr([round(x,4) for x in t.get('logit_checksums',[])]).encode()).hexdigest()[:8])"; }
for round in 1 2 3; do
  echo "== no rotation"; SLUICE_PERSISTENT_OFF=rotate timeout 60 /tmp/sl/sluice bench $S -p 0 -n 128 -r 5 --json 2>/dev/null | summ
  echo "== rotate"; timeout 60 /tmp/sl/sluice bench $S -p 0 -n 128 -r 5 --json 2>/dev/null | summ
done
echo "== no rotation d2048"; SLUICE_PERSISTENT_OFF=rotate timeout 100 /tmp/sl/sluice bench $S -p 0 -n 64 -d 2048 -r 3 2>&1 | grep -E "resident|tg64"
echo "== rotate d2048"; timeout 100 /tmp/sl/sluice bench $S -p 0 -n 64 -d 2048 -r 3 2>&1 | grep -E "resident|tg64"
