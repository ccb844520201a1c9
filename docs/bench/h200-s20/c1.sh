#!/bin/bash
# c1 (session 20): where a Q4_K_M-style TinyLlama's decode step goes (--profile's table by
# kernel and shape), and q4_k matrix kernels that load 16 bytes of nibbles and the block's
# header as two uvec4s a lane (32 values), reading a swizzled staged row (SLUICE_KERNEL_DIR
# .dev/s20/k/q4u), against the built-in ones. Files written here by make_bench_gguf.py.
source docs/bench/h200-s17-ab/common.sh .dev/s20/a.xz
PYTHONPATH=.dev/s20py python3 scripts/make_bench_gguf.py --shape tinyllama-1.1b --out /tmp/tl.gguf > /dev/null
PYTHONPATH=.dev/s20py python3 scripts/make_bench_gguf.py --shape gemma3-270m --out /tmp/g3.gguf > /dev/null
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; sha256sum /tmp/tl.gguf /tmp/g3.gguf $B; } > $OUT/env.txt 2>&1
timeout 100 $B bench -m /tmp/tl.gguf -p 512 -n 32 -r 1 > /dev/null 2>&1
timeout 100 $B bench -m /tmp/tl.gguf -p 0 -n 16 -r 1 --profile > $OUT/profile_tl_base.txt 2>&1
SLUICE_KERNEL_DIR=.dev/s20/k/q4u timeout 100 $B bench -m /tmp/tl.gguf -p 0 -n 16 -r 1 --profile > $OUT/profile_tl_q4u.txt 2>&1
for round in 1 2; do
  for v in base q4u; do
    K=""; [ $v = q4u ] && K=.dev/s20/k/q4u
    for M in tl g3; do
      echo "== $M $v: $(SLUICE_KERNEL_DIR=$K timeout 100 $B bench -m /tmp/$M.gguf -p 512 -n 128 -r 3 --json 2>/dev/null | summ)"
    done
  done
done
echo "== smollm2 synthetic: $(timeout 100 $B bench $S -p 0 -n 128 -r 3 --json 2>/dev/null | summ)"
