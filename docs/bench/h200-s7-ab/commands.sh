#!/bin/bash
# Session 7: A/B of the persistent kernel's parts (SLUICE_PERSISTENT_OFF), synthetic SmolLM2
# shape, chained decode; then the per-stretch profile.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/sl; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/sluice.xz'), open('/tmp/sl/sluice','wb'))"; chmod +x /tmp/sl/sluice
S="--synthetic smollm2-135m"; R=/tmp/res; mkdir -p $R; SL=/tmp/sl/sluice
summ() { python3 -c "
import json,sys
d=json.load(open('$1'))
for t in d['tests']: print('$1'.split('/')[-1], t['test'], round(t['tokens_per_second'],1), round(t['sd'],1), t.get('ids',[])[:4], [round(x,3) for x in t.get('logit_checksums',[])][:2])
" 2>&1 | tail -3; }
timeout 60 $SL bench $S -p 512 -n 32 -r 2 > /dev/null 2>&1
for round in 1 2; do for off in none early quads lastskip early,quads,lastskip; do
  SLUICE_PERSISTENT_OFF=$off timeout 120 $SL bench $S -p 0 -n 128 -d 0,2048 -r 3 --json > $R/off_${off}_$round.json 2>$R/off_${off}_$round.err; summ $R/off_${off}_$round.json; grep -v "^device" $R/off_${off}_$round.err | tail -2
done; done
for off in none early,quads,lastskip; do
SLUICE_PERSISTENT_OFF=$off timeout 120 $SL bench $S -p 0 -n 64 -r 1 --profile > $R/profile_d0_$off.txt 2>&1; echo "== $off d0"; tail -9 $R/profile_d0_$off.txt
SLUICE_PERSISTENT_OFF=$off timeout 120 $SL bench $S -p 0 -n 64 -d 2048 -r 1 --profile > $R/profile_d2048_$off.txt 2>&1; echo "== $off d2048"; tail -9 $R/profile_d2048_$off.txt
done
tar czf $OUT/results.tar.gz -C /tmp res
