#!/bin/bash
# Session 10: the LM head's rolling loads (SLUICE_WIDE_OFF=roll) and columns per workgroup
# (SLUICE_WIDE_COLUMNS), the split argmax (--disable-pass split-argmax) — same binary.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/sl; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/sluice.xz'), open('/tmp/sl/sluice','wb'))"; chmod +x /tmp/sl/sluice
S="--synthetic smollm2-135m"
SLUICE_PIPELINE_STATS=matmul_wide timeout 60 /tmp/sl/sluice bench $S -p 0 -n 16 -r 1 2>&1 | grep -iE "pipeline|regist" | head -8
timeout 60 /tmp/sl/sluice bench $S -p 512 -n 32 -r 2 > /dev/null 2>&1
summ() { python3 -c "
import json,sys,hashlib
d=json.load(sys.stdin)
for t in d['tests']: print(t['test'], round(t['tokens_per_second'],1), round(t['sd'],1), t.get('ids',[])[:4], 'checksums', hashlib.md5(repr([round(x,4) for x in t.get('logit_checksums',[])]).encode()).hexdigest()[:8])"; }
NOSPLIT="--disable-pass split-argmax"
for round in 1 2; do
  echo "== OLD (no rolling loads, one-workgroup argmax, counters cleared every step)"; SLUICE_WIDE_OFF=roll SLUICE_CHAIN_FILL=1 timeout 60 /tmp/sl/sluice bench $S $NOSPLIT -p 0 -n 128 -r 5 --json 2>/dev/null | summ
  echo "== NEW"; timeout 60 /tmp/sl/sluice bench $S -p 0 -n 128 -r 5 --json 2>/dev/null | summ
  echo "== NEW without rolling loads"; SLUICE_WIDE_OFF=roll timeout 60 /tmp/sl/sluice bench $S -p 0 -n 128 -r 5 --json 2>/dev/null | summ
  echo "== NEW without split argmax"; timeout 60 /tmp/sl/sluice bench $S $NOSPLIT -p 0 -n 128 -r 5 --json 2>/dev/null | summ
  echo "== NEW clearing counters every step"; SLUICE_CHAIN_FILL=1 timeout 60 /tmp/sl/sluice bench $S -p 0 -n 128 -r 5 --json 2>/dev/null | summ
done
for c in 32 64 256 512; do
  echo "== NEW columns $c"; SLUICE_WIDE_COLUMNS=$c timeout 60 /tmp/sl/sluice bench $S -p 0 -n 128 -r 5 --json 2>/dev/null | summ
done
echo "== OLD d2048"; SLUICE_WIDE_OFF=roll SLUICE_CHAIN_FILL=1 timeout 100 /tmp/sl/sluice bench $S $NOSPLIT -p 0 -n 64 -d 2048 -r 3 2>&1 | grep -E "resident|tg64"
echo "== NEW d2048"; timeout 100 /tmp/sl/sluice bench $S -p 0 -n 64 -d 2048 -r 3 2>&1 | grep -E "resident|tg64"
echo "== profile OLD"; SLUICE_WIDE_OFF=roll timeout 60 /tmp/sl/sluice bench $S $NOSPLIT -p 0 -n 64 -r 1 --profile 2>&1 | sed -n '/^decode/,$p'
echo "== profile NEW"; timeout 60 /tmp/sl/sluice bench $S -p 0 -n 64 -r 1 --profile 2>&1 | sed -n "/^decode/,\$p"
for c in 64 512; do echo "== profile NEW columns $c"; SLUICE_WIDE_COLUMNS=$c timeout 60 /tmp/sl/sluice bench $S -p 0 -n 64 -r 1 --profile 2>&1 | sed -n '/^decode/,/^total/p'; done
