#!/bin/bash
# c5: staged rows (b, c4's binary) against staged rows + paired columns (a), on the
# TinyLlama-shape Q4_K_M-style file and the synthetic shapes; prefill profile.
source docs/bench/h200-s17-ab/common.sh .dev/s19/a.xz
cp /tmp/n/sluice /tmp/n/a
[ -x /tmp/n/b ] || { echo "no /tmp/n/b"; exit 1; }
M=/tmp/tl.gguf
[ -f $M ] || PYTHONPATH=.dev/s19py python3 scripts/make_bench_gguf.py --shape tinyllama-1.1b --out $M
for round in 1 2; do
  for v in b a; do
    echo "== $v q4km file: $(timeout 100 /tmp/n/$v bench -m $M -p 0 -n 128 -r 3 --json 2>/dev/null | summ)"
    echo "== $v smollm2 plain: $(SLUICE_PERSISTENT=0 timeout 100 /tmp/n/$v bench $S -p 0 -n 128 -r 3 --json 2>/dev/null | summ)"
  done
done
timeout 100 /tmp/n/a bench -m $M -p 0 -n 16 -r 1 --profile 2>&1 | tail -14
SLUICE_PIPELINE_STATS=matmul timeout 60 /tmp/n/a bench -m $M -p 0 -n 4 -r 1 2>&1 | grep -i "regist" | cut -c1-160
timeout 100 /tmp/n/a bench -m $M -p 512 -n 0 -r 1 --profile 2>&1 | tail -16
