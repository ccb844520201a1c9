#!/bin/bash
# Session 8: attention writes partials, the output projection merges them, cache rows
# preloaded at the grid barrier, argmax a persistent stage (sluice) against d122bb1 (prev);
# synthetic SmolLM2 shape.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/sl; for b in sluice prev; do python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/$b.xz'), open('/tmp/sl/$b','wb'))"; chmod +x /tmp/sl/$b; done
S="--synthetic smollm2-135m"; R=/tmp/res; rm -rf $R; mkdir -p $R
summ() { python3 -c "
import json,sys
d=json.load(open('$1'))
for t in d['tests']: print('$1'.split('/')[-1], t['test'], round(t['tokens_per_second'],1), round(t['sd'],1), t.get('ids',[])[:6], [round(x,3) for x in t.get('logit_checksums',[])][:2])
" 2>&1 | tail -3; }
SLUICE_PIPELINE_STATS=persistent timeout 60 /tmp/sl/sluice bench $S -p 0 -n 16 -r 1 2>&1 | grep -E "pipeline|resident"; timeout 60 /tmp/sl/prev bench $S -p 512 -n 32 -r 2 > /dev/null 2>&1
for round in 1 2 3; do for b in prev sluice; do
  timeout 120 /tmp/sl/$b bench $S -p 0 -n 128 -r 5 --json > $R/${b}_$round.json 2>$R/${b}_$round.err; summ $R/${b}_$round.json; grep -v "^device" $R/${b}_$round.err | tail -2
done; done
for round in 1; do for off in merge,preload preload; do
  SLUICE_PERSISTENT_OFF=$off timeout 120 /tmp/sl/sluice bench $S -p 0 -n 128 -r 5 --json > $R/off_${off}_$round.json 2>$R/off_${off}_$round.err; echo "off=$off"; summ $R/off_${off}_$round.json; grep -v "^device" $R/off_${off}_$round.err | tail -2
done; done
for b in prev sluice; do timeout 120 /tmp/sl/$b bench $S -p 0 -n 64 -d 2048 -r 3 --json > $R/d2048_$b.json 2>/dev/null; summ $R/d2048_$b.json; done
SLUICE_PERSISTENT=0 timeout 120 /tmp/sl/sluice bench $S -p 0 -n 64 -r 1 --json > $R/plain.json 2>/dev/null; summ $R/plain.json
for b in prev sluice; do timeout 120 /tmp/sl/$b bench $S -p 0 -n 64 -r 1 --profile > $R/profile_$b.txt 2>&1; echo "== $b"; grep -A14 "^decode" $R/profile_$b.txt; done
tar czf $OUT/results.tar.gz -C /tmp res
