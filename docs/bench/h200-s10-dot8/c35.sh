#!/bin/bash
# Session 10: dot8 (the block scale applied once per eight values) in the persistent kernel's
# matrix stages (SLUICE_PERSISTENT_OFF=dot: off) and the LM head (SLUICE_WIDE_OFF=dot: off) —
# same binary, synthetic SmolLM2 shape; the head alone on one-op graphs.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/sl; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/sluice.xz'), open('/tmp/sl/sluice','wb'))"; chmod +x /tmp/sl/sluice
S="--synthetic smollm2-135m"
SLUICE_PIPELINE_STATS=persistent timeout 60 /tmp/sl/sluice bench $S -p 0 -n 16 -r 1 2>&1 | grep -E "pipeline|resident"
timeout 60 /tmp/sl/sluice bench $S -p 512 -n 32 -r 3 > /dev/null 2>&1
summ() { python3 -c "
import json,sys,hashlib
d=json.load(sys.stdin)
for t in d['tests']: print(t['test'], round(t['tokens_per_second'],1), round(t['sd'],1), t.get('ids',[])[:4], 'checksums', hashlib.md5(repr([round(x,4) for x in t.get('logit_checksums',[])]).encode()).hexdigest()[:8])"; }
for round in 1 2; do
  echo "== dot8 both"; timeout 60 /tmp/sl/sluice bench $S -p 0 -n 128 -r 5 --json 2>/dev/null | summ
  echo "== dot8 off in the persistent kernel"; SLUICE_PERSISTENT_OFF=dot timeout 60 /tmp/sl/sluice bench $S -p 0 -n 128 -r 5 --json 2>/dev/null | summ
  echo "== dot8 off in the head"; SLUICE_WIDE_OFF=dot timeout 60 /tmp/sl/sluice bench $S -p 0 -n 128 -r 5 --json 2>/dev/null | summ
  echo "== dot8 off in both"; SLUICE_PERSISTENT_OFF=dot SLUICE_WIDE_OFF=dot timeout 60 /tmp/sl/sluice bench $S -p 0 -n 128 -r 5 --json 2>/dev/null | summ
done
for g in .dev/hg/head_q8_0_49152.graph .dev/hg/head_q4_1_49152.graph; do
  for o in none dot; do echo "== $g off: $o: $(SLUICE_WIDE_OFF=$o SLUICE_MATMUL_VARIANT=wide timeout 60 /tmp/sl/sluice run $g --profile --repeats 30 2>&1 | grep -E '^add_rms_matmul')"; done
done
for o in none dot; do
  echo "== profile off: $o"; SLUICE_PERSISTENT_OFF=$o SLUICE_WIDE_OFF=$o timeout 60 /tmp/sl/sluice bench $S -p 0 -n 64 -r 1 --profile 2>&1 | sed -n '/^decode/,$p' | grep -vE "^operator|^total|^$"
done
