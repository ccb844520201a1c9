#!/bin/bash
# Session 7: chained greedy decode on/off (SLUICE_CHAIN_STEPS=1 is a submission per step),
# synthetic SmolLM2 shape, and the persistent kernel's per-stretch timestamps (--profile).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/sl; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/sluice.xz'), open('/tmp/sl/sluice','wb'))"; chmod +x /tmp/sl/sluice
S="--synthetic smollm2-135m"; R=$OUT; SL=/tmp/sl/sluice
summ() { python3 -c "
import json,sys
d=json.load(open('$1'))
for t in d['tests']: print('$1'.split('/')[-1], t['test'], round(t['tokens_per_second'],1), round(t['sd'],1), t.get('ids',[])[:4], [round(x,3) for x in t.get('logit_checksums',[])][:2])
" 2>&1 | tail -8; }
$SL devices > $R/devices.txt 2>&1; grep -i "persistent\|clock" $R/devices.txt
timeout 60 $SL bench $S -p 512 -n 32 -r 2 > /dev/null 2>&1
for round in 1 2; do for c in 1 32; do
  SLUICE_CHAIN_STEPS=$c timeout 120 $SL bench $S -p 0 -n 128 -d 0,2048 -r 3 --json > $R/chain${c}_$round.json 2>$R/chain${c}_$round.err; summ $R/chain${c}_$round.json; grep -v "^device" $R/chain${c}_$round.err | tail -2
done; done
timeout 120 $SL bench $S -p 0 -n 64 -r 1 --profile > $R/profile_d0.txt 2>&1; tail -22 $R/profile_d0.txt
timeout 120 $SL bench $S -p 0 -n 64 -d 2048 -r 1 --profile > $R/profile_d2048.txt 2>&1; tail -12 $R/profile_d2048.txt
