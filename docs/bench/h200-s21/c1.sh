#!/bin/bash
# c1: the cooperative-matrix prefill kernel rewritten (64-value steps, 16-byte staging
# stores, loads in flight during the products, q4_k pieces as two 16-byte loads) against the
# previous one (SLUICE_KERNEL_DIR=.dev/s21/k/old) — correctness (`run --check` of a LLaMA
# block in each weight type, many rows) and pp512 on the Q4_K_M-style TinyLlama, Gemma 3 and
# synthetic SmolLM2 files; --profile of the prefill.
source docs/bench/h200-s17-ab/common.sh .dev/s21/n.xz
for dt in q4_k q6_k q4_0 q4_1 q8_0 f16 q5_1 f32; do
  echo "check $dt: $(timeout 60 $B run .dev/s21/block_$dt.graph --check --bind T=300,P=0,C=320 2>&1 | grep -E 'PASS|FAIL|rror' | tr '\n' ' ')"
done
PYTHONPATH=.dev/s21py python3 scripts/make_bench_gguf.py --shape tinyllama-1.1b --out /tmp/tl.gguf > /dev/null
PYTHONPATH=.dev/s21py python3 scripts/make_bench_gguf.py --shape gemma3-270m --out /tmp/g3.gguf > /dev/null
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; sha256sum /tmp/tl.gguf /tmp/g3.gguf $B; cat .dev/s21/commit.txt; } > $OUT/env.txt 2>&1
echo "gemma greedy: $(timeout 100 $B generate -m /tmp/g3.gguf --prompt-ids 2,100,200,300 -n 4 --print-ids 2>/dev/null | tail -1)"
echo "tl greedy: $(timeout 100 $B generate -m /tmp/tl.gguf --prompt-ids 1,100,200,300,400,500,600,700,800,900 -n 4 --print-ids 2>/dev/null | tail -1)"
echo "tl greedy old: $(SLUICE_KERNEL_DIR=.dev/s21/k/old timeout 100 $B generate -m /tmp/tl.gguf --prompt-ids 1,100,200,300,400,500,600,700,800,900 -n 4 --print-ids 2>/dev/null | tail -1)"
for M in tl g3; do
  timeout 100 $B bench -m /tmp/$M.gguf -p 512 -n 0 -r 1 > /dev/null 2>&1
  for round in 1 2; do
    echo "== new $M round $round: $(timeout 200 $B bench -m /tmp/$M.gguf -p 512 -n 0 -r 5 --json 2>/dev/null | summ)"
    echo "== old $M round $round: $(SLUICE_KERNEL_DIR=.dev/s21/k/old timeout 200 $B bench -m /tmp/$M.gguf -p 512 -n 0 -r 5 --json 2>/dev/null | summ)"
  done
done
for round in 1 2; do
  echo "== new smollm2 round $round: $(timeout 200 $B bench $S -p 512 -n 0 -r 5 --json 2>/dev/null | summ)"
  echo "== old smollm2 round $round: $(SLUICE_KERNEL_DIR=.dev/s21/k/old timeout 200 $B bench $S -p 512 -n 0 -r 5 --json 2>/dev/null | summ)"
done
timeout 100 $B bench -m /tmp/tl.gguf -p 512 -n 0 -r 1 --profile > $OUT/profile_tl_new.txt 2>&1
SLUICE_KERNEL_DIR=.dev/s21/k/old timeout 100 $B bench -m /tmp/tl.gguf -p 512 -n 0 -r 1 --profile > $OUT/profile_tl_old.txt 2>&1
