#!/bin/bash
# Session 9: the attention stage takes over the output projection (one stage and one grid
# barrier fewer per layer) — same binary, SLUICE_PERSISTENT_OFF=ofuse (off) against on.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/sl; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/sluice.xz'), open('/tmp/sl/sluice','wb'))"; chmod +x /tmp/sl/sluice
S="--synthetic smollm2-135m"
SLUICE_PIPELINE_STATS=persistent timeout 60 /tmp/sl/sluice bench $S -p 0 -n 16 -r 1 2>&1 | grep -E "pipeline|resident"
timeout 60 /tmp/sl/sluice bench $S -p 512 -n 32 -r 2 > /dev/null 2>&1
run() { if [ "$1" = off ]; then export SLUICE_PERSISTENT_OFF=ofuse; else unset SLUICE_PERSISTENT_OFF; fi; shift; "$@"; }
for round in 1 2 3; do for m in off on; do echo "== ofuse $m"; run $m timeout 60 /tmp/sl/sluice bench $S -p 0 -n 128 -r 5 --json 2>/dev/null | python3 -c "
import json,sys
d=json.load(sys.stdin)
for t in d['tests']: print(t['test'], round(t['tokens_per_second'],1), round(t['sd'],1), t.get('ids',[])[:6], [round(x,3) for x in t.get('logit_checksums',[])][:3])"; done; done
for m in off on; do echo "== ofuse $m"; run $m timeout 100 /tmp/sl/sluice bench $S -p 0 -n 64 -d 2048 -r 3 2>&1 | grep -E "resident|tg64"; done
for m in off on; do echo "== ofuse $m"; run $m timeout 100 /tmp/sl/sluice bench $S -p 0 -n 64 -r 1 --profile 2>&1 | sed -n '/^decode/,$p'; done
