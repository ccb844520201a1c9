#!/bin/bash
# Session 5 A/B on the synthetic model: two binaries (.dev/old.xz, .dev/sluice.xz) alternating
# in one call; used for docs/bench/h200-s5-staging, h200-s5-blocks-on and h200-s5-barrier.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/sl; for b in sluice old; do python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/$b.xz'), open('/tmp/sl/$b','wb'))"; chmod +x /tmp/sl/$b; done
S="--synthetic smollm2-135m"; R=$OUT
summ() { python3 -c "
import json,sys
d=json.load(open('$1'))
for t in d['tests']: print('$1'.split('/')[-1], t['test'], round(t['tokens_per_second'],1), round(t['sd'],1), t.get('ids',[])[:4], [round(x,3) for x in t.get('logit_checksums',[])][:2])
" 2>&1 | tail -8; }
for b in old sluice; do timeout 60 /tmp/sl/$b bench $S -p 512 -n 32 -r 2 > /dev/null 2>&1; done
for g in 264 198; do for b in old sluice; do
  SLUICE_PERSISTENT_GROUPS=$g timeout 100 /tmp/sl/$b bench $S -p 0 -n 128 -d 0,2048 -r 3 --json > $R/${b}_$g.json 2>$R/${b}_$g.err; summ $R/${b}_$g.json; grep -v "^device" $R/${b}_$g.err | tail -2
done; done
