#!/bin/bash
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/sl; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/sluice.xz'), open('/tmp/sl/sluice','wb'))"; chmod +x /tmp/sl/sluice
SL=/tmp/sl/sluice; S="--synthetic smollm2-135m"; R=$OUT
{ date -u; sha256sum $SL; } > $R/env.txt
summ() { python3 -c "
import json,sys
d=json.load(open('$1'))
for t in d['tests']: print('$1'.split('/')[-1], t['test'], round(t['tokens_per_second'],1), round(t['sd'],1), [round(x,3) for x in t.get('logit_checksums',[])][:3])
" 2>&1 | tail -8; }
timeout 60 $SL bench $S -p 64 -n 128 -r 3 > /dev/null 2>&1
SLUICE_PERSISTENT=0 timeout 60 $SL bench $S -p 0 -n 128 -r 5 --json > $R/plain.json 2>/dev/null; summ $R/plain.json
timeout 60 $SL bench $S -p 0 -n 128 -r 5 --json > $R/pers.json 2>/dev/null; summ $R/pers.json
timeout 60 $SL bench $S -p 0 -n 128 -r 1 --profile 2>&1 | tail -6
