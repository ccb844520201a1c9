#!/bin/bash
# Prepared in session 15 for the next session (binary: e15fa8b's build in .dev/n.xz; rebuild
# if the code moved). Synthetic SmolLM2 shape. r4: barrier-mode stageRow batches of 4 values
# instead of 8 (does the remaining local memory drop?); pb2: attention preload PRE_BATCH 2
# instead of 4; notag: 85d0618's kernel (no tagged partials) with the current ROWB 3 — does
# the tagged merge still cost positions 0-63 at 114 registers?
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/n; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/n.xz'), open('/tmp/n/sluice','wb'))"; chmod +x /tmp/n/sluice
B=/tmp/n/sluice; S="--synthetic smollm2-135m"
timeout 60 $B bench $S -p 512 -n 64 -r 2 >/dev/null 2>&1
for v in none r4 pb2 notag; do echo "$v: $(SLUICE_PIPELINE_STATS=persistent_q4 SLUICE_KERNEL_DIR=.dev/kv/$v timeout 60 $B bench $S -p 0 -n 4 -r 1 2>&1 | grep -i "regist" | head -1 | cut -c30-130)"; done
summ() { python3 -c "
import json,sys
d=json.load(sys.stdin)
print(' | '.join('%s %.1f ± %.1f %s' % (t['test'], t['tokens_per_second'], t['sd'], t.get('ids',[])[:2]) for t in d['tests']))"; }
D="-d 0,512,2048"
for round in 1 2; do
  echo "== cur: $(timeout 100 $B bench $S -p 0 -n 128 $D -r 3 --json 2>/dev/null | summ)"
  for v in r4 pb2 notag; do
  echo "== $v: $(SLUICE_KERNEL_DIR=.dev/kv/$v timeout 100 $B bench $S -p 0 -n 128 $D -r 3 --json 2>/dev/null | summ)"
  done
done
for v in none notag; do SLUICE_KERNEL_DIR=.dev/kv/$v SLUICE_CHAIN_STAMPS=1 timeout 60 $B bench $S -p 0 -n 128 -r 1 2>&1 | grep "chain of" | sed -n '4,8p;'; done
