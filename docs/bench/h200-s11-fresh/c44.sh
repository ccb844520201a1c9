#!/bin/bash
# Session 11: fresh keys with the caches' summation order (SLUICE_PERSISTENT_OFF=fresh for the
# old), rows of tagged inputs staged without per-load choices (off: tagged), and the LM head's
# workgroup count (SLUICE_WIDE_GROUPS; default 384) — same binary.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/sl; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/sluice.xz'), open('/tmp/sl/sluice','wb'))"; chmod +x /tmp/sl/sluice
S="--synthetic smollm2-135m"
SLUICE_PIPELINE_STATS=persistent timeout 60 /tmp/sl/sluice bench $S -p 0 -n 16 -r 1 2>&1 | grep -iE "regist" | head -4
SLUICE_PIPELINE_STATS=matmul_wide timeout 60 /tmp/sl/sluice bench $S -p 0 -n 16 -r 1 2>&1 | grep -iE "regist" | head -4
timeout 60 /tmp/sl/sluice bench $S -p 512 -n 64 -r 2 >/dev/null 2>&1
summ() { python3 -c "
import json,sys,hashlib
d=json.load(sys.stdin)
for t in d['tests']: print(t['test'], round(t['tokens_per_second'],1), round(t['sd'],1), t.get('ids',[])[:4], 'checksums', hashlib.md5(repr([round(x,4) for x in t.get('logit_checksums',[])]).encode()).hexdigest()[:8])"; }
V="fresh,tagged fresh tagged none"
for round in 1 2; do
  for off in $V; do
    echo "== tg128 off=$off $(SLUICE_PERSISTENT_OFF=$off timeout 60 /tmp/sl/sluice bench $S -p 0 -n 128 -r 5 --json 2>/dev/null | summ)"
  done
done
for off in "fresh,tagged" none; do
  echo "== d2048 off=$off"; SLUICE_PERSISTENT_OFF=$off timeout 100 /tmp/sl/sluice bench $S -p 0 -n 64 -d 2048 -r 3 2>&1 | grep -E "tg64"
done
for g in 132 264 384 396 528 768 1536; do
  echo "== head groups $g: $(SLUICE_WIDE_GROUPS=$g timeout 60 /tmp/sl/sluice bench $S -p 0 -n 128 -r 5 --json 2>/dev/null | summ) $(SLUICE_WIDE_GROUPS=$g timeout 60 /tmp/sl/sluice bench $S -p 0 -n 32 -r 1 --profile 2>&1 | grep -E '^add_rms_matmul')"
done
for off in "fresh,tagged" none; do
  echo "== profile off=$off"; SLUICE_PERSISTENT_OFF=$off timeout 60 /tmp/sl/sluice bench $S -p 0 -n 64 -r 1 --profile 2>&1 | sed -n '/^decode/,$p'
done
