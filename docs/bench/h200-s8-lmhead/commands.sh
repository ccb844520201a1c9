#!/bin/bash
# Session 8: the LM head through matmul_wide.comp (sluice) against d122bb1 (prev);
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/sl; for b in sluice prev; do python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/$b.xz'), open('/tmp/sl/$b','wb'))"; chmod +x /tmp/sl/$b; done
S="--synthetic smollm2-135m"
timeout 60 /tmp/sl/prev bench $S -p 512 -n 32 -r 2 > /dev/null 2>&1
for round in 1 2 3; do for b in prev sluice; do echo "== $b"; timeout 60 /tmp/sl/$b bench $S -p 0 -n 128 -r 5 --json 2>/dev/null | python3 -c "
import json,sys
d=json.load(sys.stdin)
for t in d['tests']: print(t['test'], round(t['tokens_per_second'],1), round(t['sd'],1), t.get('ids',[])[:6], [round(x,3) for x in t.get('logit_checksums',[])][:3])"; done; done
for b in prev sluice; do echo "== $b"; timeout 100 /tmp/sl/$b bench $S -p 0 -n 64 -d 2048 -r 3 2>&1 | grep -E "resident|tg64"; done
for b in prev sluice; do echo "== $b"; timeout 100 /tmp/sl/$b bench $S -p 0 -n 64 -r 1 --profile 2>&1 | grep -E "^persistent |^add_rms_matmul |^argmax|^total"; done
