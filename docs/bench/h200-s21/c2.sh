#!/bin/bash
# c2: 128-row tiles (COOP_BM=128: a subgroup multiplies 2×2 fragments; half the grid's row
# tiles idle) against the 64-row kernel of c1 (same source), both from SLUICE_KERNEL_DIR.
source docs/bench/h200-s17-ab/common.sh .dev/s21/n.xz
for v in bm64 bm128; do for dt in q4_k q6_k q4_1; do
  echo "check $v $dt: $(SLUICE_KERNEL_DIR=.dev/s21/k/$v timeout 60 $B run .dev/s21/block_$dt.graph --check --bind T=300,P=0,C=320 2>&1 | grep -E 'PASS|FAIL|rror' | tr '\n' ' ')"
done; done
PYTHONPATH=.dev/s21py python3 scripts/make_bench_gguf.py --shape tinyllama-1.1b --out /tmp/tl.gguf > /dev/null
PYTHONPATH=.dev/s21py python3 scripts/make_bench_gguf.py --shape gemma3-270m --out /tmp/g3.gguf > /dev/null
timeout 100 $B bench -m /tmp/tl.gguf -p 512 -n 0 -r 1 > /dev/null 2>&1
for round in 1 2; do
  for v in bm64 bm128; do
    echo "== $v tl $round: $(SLUICE_KERNEL_DIR=.dev/s21/k/$v timeout 200 $B bench -m /tmp/tl.gguf -p 512 -n 0 -r 5 --json 2>/dev/null | summ)"
    echo "== $v g3 $round: $(SLUICE_KERNEL_DIR=.dev/s21/k/$v timeout 200 $B bench -m /tmp/g3.gguf -p 512 -n 0 -r 5 --json 2>/dev/null | summ)"
    echo "== $v smollm2 $round: $(SLUICE_KERNEL_DIR=.dev/s21/k/$v timeout 200 $B bench $S -p 512 -n 0 -r 5 --json 2>/dev/null | summ)"
  done
done
SLUICE_KERNEL_DIR=.dev/s21/k/bm128 timeout 100 $B bench -m /tmp/tl.gguf -p 512 -n 0 -r 1 --profile > $OUT/profile_tl_bm128.txt 2>&1
