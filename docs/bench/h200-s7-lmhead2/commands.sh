#!/bin/bash
# Session 7: the matrix kernels' shared variant (the LM head on GPUs) with the normalized row
# in shared memory and two blocks a step (sluice) against the build before (prev);
# synthetic SmolLM2 shape.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/sl; for b in sluice prev; do python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/$b.xz'), open('/tmp/sl/$b','wb'))"; chmod +x /tmp/sl/$b; done
S="--synthetic smollm2-135m"; R=/tmp/res; rm -rf $R; mkdir -p $R
summ() { python3 -c "
import json,sys
d=json.load(open('$1'))
for t in d['tests']: print('$1'.split('/')[-1], t['test'], round(t['tokens_per_second'],1), round(t['sd'],1), t.get('ids',[])[:4], [round(x,3) for x in t.get('logit_checksums',[])][:2])
" 2>&1 | tail -3; }
for b in prev sluice; do timeout 60 /tmp/sl/$b bench $S -p 512 -n 32 -r 2 > /dev/null 2>&1; done
for round in 1 2 3; do for b in prev sluice; do
  timeout 120 /tmp/sl/$b bench $S -p 0 -n 128 -r 5 --json > $R/${b}_$round.json 2>$R/${b}_$round.err; summ $R/${b}_$round.json; grep -v "^device" $R/${b}_$round.err | tail -2
done; done
for b in prev sluice; do timeout 120 /tmp/sl/$b bench $S -p 0 -n 64 -r 1 --profile > $R/profile_$b.txt 2>&1; echo "== $b"; grep -E "^persistent |add_rms_matmul |argmax|^total" $R/profile_$b.txt; done
tar czf $OUT/results.tar.gz -C /tmp res
