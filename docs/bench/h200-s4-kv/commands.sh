#!/bin/bash
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/sl; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/sluice.xz'), open('/tmp/sl/sluice','wb'))"; chmod +x /tmp/sl/sluice
SL=/tmp/sl/sluice; S="--synthetic smollm2-135m"; R=$OUT
$SL devices 2>&1 | tail -3
timeout 60 $SL bench $S -p 64 -n 8 -r 1 > /dev/null 2>&1
for g in qkvh_q4_1 qkvh_f16 atth; do echo "== $g"; for b in T=100,P=5,C=120 T=1,P=40,C=50 T=3,P=700,C=710; do timeout 30 $SL run .dev/g/$g.graph --check --bind $b 2>&1 | grep -i "error" | head -3; done; done
summ() { python3 -c "
import json,sys
d=json.load(open('$1'))
print(d.get('device_bytes'), d.get('kv_cache_bytes'))
for t in d['tests']: print('$1'.split('/')[-1], t['test'], round(t['tokens_per_second'],1), round(t['sd'],1), t.get('ids',[])[:8], [round(x,3) for x in t.get('logit_checksums',[])][:3])
" 2>&1 | tail -8; }
for kv in f32 f16; do
  timeout 60 $SL bench $S -p 512 -n 128 -r 5 --kv-cache $kv --json > $R/pp_$kv.json 2>/dev/null; summ $R/pp_$kv.json
  timeout 120 $SL bench $S -p 0 -n 128 -d 0,1024,4096 -r 2 --kv-cache $kv --json > $R/d_$kv.json 2>/dev/null; summ $R/d_$kv.json
  SLUICE_PERSISTENT=0 timeout 60 $SL bench $S -p 0 -n 32 -d 1024 -r 2 --kv-cache $kv --json > $R/dp_$kv.json 2>/dev/null; summ $R/dp_$kv.json
done
