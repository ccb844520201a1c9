#!/bin/bash
# Session 6: the session-5 build (old) against this commit (sluice) on the H200, synthetic
# SmolLM2 shape; then this commit's texel matrix kernels (the CPU-driver shape) on the GPU,
# to check them on a second driver.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/sl; for b in sluice old; do python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/$b.xz'), open('/tmp/sl/$b','wb'))"; chmod +x /tmp/sl/$b; done
S="--synthetic smollm2-135m"; R=$OUT
summ() { python3 -c "
import json,sys
d=json.load(open('$1'))
for t in d['tests']: print('$1'.split('/')[-1], t['test'], round(t['tokens_per_second'],1), round(t['sd'],1), t.get('ids',[])[:4], [round(x,3) for x in t.get('logit_checksums',[])][:2])
" 2>&1 | tail -8; }
/tmp/sl/sluice devices > $R/devices.txt 2>&1
for b in old sluice; do timeout 60 /tmp/sl/$b bench $S -p 512 -n 32 -r 2 > /dev/null 2>&1; done
for round in 1 2; do for b in old sluice; do
  timeout 120 /tmp/sl/$b bench $S -p 512 -n 128 -d 0,2048 -r 3 --json > $R/${b}_$round.json 2>$R/${b}_$round.err; summ $R/${b}_$round.json; grep -v "^device" $R/${b}_$round.err | tail -2
done; done
for v in texel subgroup; do
  SLUICE_MATMUL_VARIANT=$v SLUICE_PERSISTENT=0 SLUICE_TILED=0 timeout 120 /tmp/sl/sluice bench $S -p 64 -n 32 -r 2 --kv-cache f32 --json > $R/variant_$v.json 2>$R/variant_$v.err; summ $R/variant_$v.json; tail -2 $R/variant_$v.err
done
