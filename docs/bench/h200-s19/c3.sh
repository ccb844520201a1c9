#!/bin/bash
# A/B: main's binary (n) against the staged-row plain matrix kernels (a).
source docs/bench/h200-s17-ab/common.sh .dev/s19/a.xz
cp /tmp/n/sluice /tmp/n/a
[ -x /tmp/n/n ] || { echo "no /tmp/n/n"; exit 1; }
TL="--synthetic tinyllama-1.1b-q4k"
for round in 1 2; do
  for v in n a; do
    echo "== $v tinyllama: $(timeout 100 /tmp/n/$v bench $TL -p 0 -n 64 -r 3 --json 2>/dev/null | summ)"
    echo "== $v smollm2 plain: $(SLUICE_PERSISTENT=0 timeout 100 /tmp/n/$v bench $S -p 0 -n 128 -r 3 --json 2>/dev/null | summ)"
    echo "== $v smollm2: $(timeout 100 /tmp/n/$v bench $S -p 0 -n 128 -r 3 --json 2>/dev/null | summ)"
  done
done
timeout 60 /tmp/n/a bench $TL -p 0 -n 4 -r 1 --json > $OUT/tl4-a.json 2>&1
timeout 120 /tmp/n/a bench $TL -p 0 -n 16 -r 1 --profile 2>&1 | tail -14
SLUICE_PIPELINE_STATS=matmul timeout 60 /tmp/n/a bench $TL -p 0 -n 4 -r 1 2>&1 | grep -i "regist" | cut -c1-160
