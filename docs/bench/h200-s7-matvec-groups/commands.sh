#!/bin/bash
# Session 7: the LM head's workgroup count (SLUICE_MATVEC_GROUPS caps the subgroup matrix
# kernels' column workgroups in one-row plans; 0 = one workgroup per two columns, 24,576 for
# the 49,152-row head); synthetic SmolLM2 shape.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/sl; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/sluice.xz'), open('/tmp/sl/sluice','wb'))"; chmod +x /tmp/sl/sluice
S="--synthetic smollm2-135m"; R=/tmp/res; rm -rf $R; mkdir -p $R; SL=/tmp/sl/sluice
summ() { python3 -c "
import json,sys
d=json.load(open('$1'))
for t in d['tests']: print('$1'.split('/')[-1], t['test'], round(t['tokens_per_second'],1), round(t['sd'],1), t.get('ids',[])[:4], [round(x,3) for x in t.get('logit_checksums',[])][:2])
" 2>&1 | tail -3; }
timeout 60 $SL bench $S -p 512 -n 32 -r 2 > /dev/null 2>&1
for round in 1 2; do for cap in 0 528 2112 8448; do
  SLUICE_MATVEC_GROUPS=$cap timeout 120 $SL bench $S -p 0 -n 128 -r 5 --json > $R/cap${cap}_$round.json 2>$R/cap${cap}_$round.err; summ $R/cap${cap}_$round.json; grep -v "^device" $R/cap${cap}_$round.err | tail -2
done; done
for cap in 0 528 2112 8448; do
  SLUICE_MATVEC_GROUPS=$cap SLUICE_PERSISTENT=0 timeout 120 $SL bench $S -p 0 -n 64 -r 1 --profile > $R/profile_cap$cap.txt 2>&1; echo "== cap $cap"; grep -E "add_rms_matmul |argmax|^total" $R/profile_cap$cap.txt
done
tar czf $OUT/results.tar.gz -C /tmp res
