#!/bin/bash
# Session 17, c10: small integers to floats without a conversion instruction in the weight
# decoding (weights.glsl u4f / s8f: exact, the same values): cv = the persistent kernel and the
# chain's tail (head_chain) built so, cvp = the persistent kernel only; base = e963b20's
# kernels. The binary: e963b20 (.dev/n.xz).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/n; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/n.xz'), open('/tmp/n/sluice','wb'))"; chmod +x /tmp/n/sluice
B=/tmp/n/sluice; S="--synthetic smollm2-135m"
summ() { python3 -c "
import json,sys
d=json.load(sys.stdin)
print(' | '.join('%s %.1f ± %.1f %s' % (t['test'], t['tokens_per_second'], t['sd'], t.get('ids',[])[:2]) for t in d['tests']))"; }
timeout 60 $B bench $S -p 512 -n 64 -r 2 2>&1 | tail -1
for v in base cv; do
  echo "$v: $(SLUICE_KERNEL_DIR=.dev/s17/k/$v SLUICE_PIPELINE_STATS=persistent_q4 timeout 60 $B bench $S -p 0 -n 4 -r 1 2>&1 | grep -i "regist" | head -1 | cut -c1-200)"
done
D="-d 0,512,2048"
for round in 1 2; do
  for v in base cv cvp; do
    echo "== $v: $(SLUICE_KERNEL_DIR=.dev/s17/k/$v timeout 100 $B bench $S -p 0 -n 128 $D -r 3 --json 2>/dev/null | summ)"
  done
done
for v in base cv; do
  echo "== stamps $v"; SLUICE_KERNEL_DIR=.dev/s17/k/$v SLUICE_CHAIN_STAMPS=1 timeout 60 $B bench $S -p 0 -n 128 -r 1 2>&1 | grep "chain of" | sed -n '15,17p'
done
