#!/bin/bash
# c4: q6_k pieces loaded apart from their decoding (twelve words for 16 values) and the
# 128-row tile kernel (matmul_coop_tall.comp) chosen per product (SLUICE_COOP_TALL unset),
# never (0) or always (1); "a" = c3's kernel a (c1's, q6_k decoded at the load) from
# SLUICE_KERNEL_DIR.
source docs/bench/h200-s17-ab/common.sh .dev/s21/n.xz
for t in 0 1; do for dt in q4_k q6_k q4_0 q4_1 q8_0 f16 q5_1 f32; do
  echo "check tall=$t $dt: $(SLUICE_COOP_TALL=$t timeout 60 $B run .dev/s21/block_$dt.graph --check --bind T=300,P=0,C=320 2>&1 | grep -E 'PASS|FAIL|rror' | tr '\n' ' ')"
done; done
PYTHONPATH=.dev/s21py python3 scripts/make_bench_gguf.py --shape tinyllama-1.1b --out /tmp/tl.gguf > /dev/null
PYTHONPATH=.dev/s21py python3 scripts/make_bench_gguf.py --shape gemma3-270m --out /tmp/g3.gguf > /dev/null
echo "gemma greedy: $(timeout 100 $B generate -m /tmp/g3.gguf --prompt-ids 2,100,200,300 -n 4 --print-ids 2>/dev/null | tail -1)"
for v in "a 0" "n 0" "n auto" "n 1"; do set -- $v; K=""; [ $1 = a ] && K=.dev/s21/k/a
  SLUICE_KERNEL_DIR=$K SLUICE_COOP_TALL=$2 timeout 100 $B bench $S -p 512 -n 0 -r 1 > /dev/null 2>&1; done
for round in 1 2; do
  for v in "a 0" "n 0" "n auto" "n 1"; do set -- $v; K=""; [ $1 = a ] && K=.dev/s21/k/a
    for M in tl g3; do
      echo "== $1 tall=$2 $M $round: $(SLUICE_KERNEL_DIR=$K SLUICE_COOP_TALL=$2 timeout 200 $B bench -m /tmp/$M.gguf -p 512 -n 0 -r 5 --json 2>/dev/null | summ)"
    done
    echo "== $1 tall=$2 smollm2 $round: $(SLUICE_KERNEL_DIR=$K SLUICE_COOP_TALL=$2 timeout 200 $B bench $S -p 512 -n 0 -r 5 --json 2>/dev/null | summ)"
  done
done
for t in 0 1; do for M in tl g3; do SLUICE_COOP_TALL=$t timeout 100 $B bench -m /tmp/$M.gguf -p 512 -n 0 -r 1 --profile > $OUT/profile_${M}_tall$t.txt 2>&1; done; done
SLUICE_COOP_TALL=1 timeout 100 $B bench $S -p 512 -n 0 -r 1 --profile > $OUT/profile_smollm2_tall1.txt 2>&1
SLUICE_COOP_TALL=0 timeout 100 $B bench $S -p 512 -n 0 -r 1 --profile > $OUT/profile_smollm2_tall0.txt 2>&1
