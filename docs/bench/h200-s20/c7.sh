#!/bin/bash
# c7 (session 20): the LM head's workgroup count (SLUICE_WIDE_GROUPS; default four per
# multiprocessor, 528) on Gemma 3's 262,144-column q8_0 head (15.5 passes of columns at 528)
# and TinyLlama's 32,000-column q6_k one, and the synthetic SmolLM2 (its tail kernel).
source docs/bench/h200-s17-ab/common.sh .dev/s20/d.xz
PYTHONPATH=.dev/s20py python3 scripts/make_bench_gguf.py --shape tinyllama-1.1b --out /tmp/tl.gguf > /dev/null
PYTHONPATH=.dev/s20py python3 scripts/make_bench_gguf.py --shape gemma3-270m --out /tmp/g3.gguf > /dev/null
timeout 100 $B bench -m /tmp/g3.gguf -p 512 -n 32 -r 1 > /dev/null 2>&1
for g in 528 792 1056 1584; do
  SLUICE_WIDE_GROUPS=$g timeout 100 $B bench -m /tmp/g3.gguf -p 0 -n 16 -r 1 --profile 2>&1 | grep "matmul_wide" | sed "s/^/g3 groups $g: /"
done
for round in 1 2; do
  for g in 528 792 1056 1584; do
    for M in g3 tl; do
      echo "== $M wide groups $g: $(SLUICE_WIDE_GROUPS=$g timeout 100 $B bench -m /tmp/$M.gguf -p 0 -n 128 -r 3 --json 2>/dev/null | summ)"
    done
    echo "== smollm2 wide groups $g: $(SLUICE_WIDE_GROUPS=$g timeout 100 $B bench $S -p 0 -n 128 -r 3 --json 2>/dev/null | summ)"
  done
done
