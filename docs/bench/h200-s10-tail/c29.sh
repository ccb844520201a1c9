#!/bin/bash
# Session 10: the LM head (matmul_wide) with and without rolling loads, at 32/64/128 columns
# per workgroup (SLUICE_WIDE_COLUMNS), the rest as the defaults of commit b3b6a9e.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/sl; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/sluice.xz'), open('/tmp/sl/sluice','wb'))"; chmod +x /tmp/sl/sluice
S="--synthetic smollm2-135m"
timeout 60 /tmp/sl/sluice bench $S -p 512 -n 32 -r 2 > /dev/null 2>&1
summ() { python3 -c "
import json,sys,hashlib
d=json.load(sys.stdin)
for t in d['tests']: print(t['test'], round(t['tokens_per_second'],1), round(t['sd'],1), t.get('ids',[])[:4], 'checksums', hashlib.md5(repr([round(x,4) for x in t.get('logit_checksums',[])]).encode()).hexdigest()[:8])"; }
for round in 1 2; do
  for c in 32 64 128; do
    echo "== no rolling, columns $c"; SLUICE_WIDE_OFF=roll SLUICE_WIDE_COLUMNS=$c timeout 60 /tmp/sl/sluice bench $S -p 0 -n 128 -r 5 --json 2>/dev/null | summ
    echo "== rolling, columns $c"; SLUICE_WIDE_COLUMNS=$c timeout 60 /tmp/sl/sluice bench $S -p 0 -n 128 -r 5 --json 2>/dev/null | summ
  done
done
for c in 32 64 128; do
  echo "== profile no rolling, columns $c"; SLUICE_WIDE_OFF=roll SLUICE_WIDE_COLUMNS=$c timeout 60 /tmp/sl/sluice bench $S -p 0 -n 64 -r 1 --profile 2>&1 | grep -E "add_rms_matmul|argmax"
  echo "== profile rolling, columns $c"; SLUICE_WIDE_COLUMNS=$c timeout 60 /tmp/sl/sluice bench $S -p 0 -n 64 -r 1 --profile 2>&1 | grep -E "add_rms_matmul|argmax"
done
