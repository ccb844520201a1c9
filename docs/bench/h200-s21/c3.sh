#!/bin/bash
# c3: tile shapes of the cooperative-matrix kernel, from SLUICE_KERNEL_DIR (.dev/s21/k/V;
# COOP_BM COOP_BN COOP_UNITS): a 64 64 2 (c1's), b 128 64 1, c 64 128 1, d 64 128 2.
# 128-wide tiles span two of the grid's tiles (half the workgroups idle).
source docs/bench/h200-s17-ab/common.sh .dev/s21/n.xz
for v in a b c d; do
  echo "regs $v: $(SLUICE_KERNEL_DIR=.dev/s21/k/$v SLUICE_PIPELINE_STATS=matmul_coop_q4_k_swiglu timeout 60 $B run .dev/s21/block_q4_k.graph --bind T=300,P=0,C=320 2>&1 | grep -i regist | head -1 | cut -c1-200)"
  for dt in q4_k q6_k q4_1; do
    echo "check $v $dt: $(SLUICE_KERNEL_DIR=.dev/s21/k/$v timeout 60 $B run .dev/s21/block_$dt.graph --check --bind T=300,P=0,C=320 2>&1 | grep -E 'PASS|FAIL|rror' | tr '\n' ' ')"
  done
done
PYTHONPATH=.dev/s21py python3 scripts/make_bench_gguf.py --shape tinyllama-1.1b --out /tmp/tl.gguf > /dev/null
PYTHONPATH=.dev/s21py python3 scripts/make_bench_gguf.py --shape gemma3-270m --out /tmp/g3.gguf > /dev/null
for v in a b c d; do SLUICE_KERNEL_DIR=.dev/s21/k/$v timeout 100 $B bench $S -p 512 -n 0 -r 1 > /dev/null 2>&1; done
for round in 1 2; do
  for v in a b c d; do
    echo "== $v tl $round: $(SLUICE_KERNEL_DIR=.dev/s21/k/$v timeout 200 $B bench -m /tmp/tl.gguf -p 512 -n 0 -r 5 --json 2>/dev/null | summ)"
    echo "== $v g3 $round: $(SLUICE_KERNEL_DIR=.dev/s21/k/$v timeout 200 $B bench -m /tmp/g3.gguf -p 512 -n 0 -r 5 --json 2>/dev/null | summ)"
    echo "== $v smollm2 $round: $(SLUICE_KERNEL_DIR=.dev/s21/k/$v timeout 200 $B bench $S -p 512 -n 0 -r 5 --json 2>/dev/null | summ)"
  done
done
for v in a c; do SLUICE_KERNEL_DIR=.dev/s21/k/$v timeout 100 $B bench -m /tmp/tl.gguf -p 512 -n 0 -r 1 --profile > $OUT/profile_tl_$v.txt 2>&1; done
