#!/bin/bash
# Session 12: registers and decode speed of persistent-kernel variants, each a folder .dev/k/NAME holding persistent_q4_1_f16.spv,
# loaded through SLUICE_KERNEL_DIR into one binary (.dev/n.xz). usage: variants.sh DEPTHS NAME…  (DEPTHS e.g. 0,512)
[ -x /tmp/n/sluice ] || { for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig; mkdir -p /tmp/n; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/n.xz'), open('/tmp/n/sluice','wb'))"; chmod +x /tmp/n/sluice; }
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
B=/tmp/n/sluice; S="--synthetic smollm2-135m"
summ() { python3 -c "
import json,sys,hashlib
d=json.load(sys.stdin)
for t in d['tests']: print(t['test'], round(t['tokens_per_second'],1), round(t['sd'],1), 'checksums', hashlib.md5(repr([round(x,4) for x in t.get('logit_checksums',[])]).encode()).hexdigest()[:8])"; }
timeout 60 $B bench $S -p 512 -n 64 -r 2 >/dev/null 2>&1
D=$1; shift
for v in "$@"; do
  echo "== $v $(SLUICE_KERNEL_DIR=.dev/k/$v SLUICE_PIPELINE_STATS=persistent timeout 60 $B bench $S -p 0 -n 8 -r 1 2>&1 | grep -iE 'regist' | head -1 | cut -c1-80)"
  echo "   $(SLUICE_KERNEL_DIR=.dev/k/$v timeout 60 $B bench $S -p 0 -n 128 -d $D -r 3 --json 2>/dev/null | summ | tr '\n' ' ')"
done
