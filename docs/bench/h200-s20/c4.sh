#!/bin/bash
# c4 (session 20): the binary of the K-quant units in the LM head kernel too (c: 12b53ee's
# folded norm weight, at most two workgroups a multiprocessor by default), against itself
# with the head's kernels of 12b53ee (oldwide: 8-value pieces) and without the workgroup cap
# (SLUICE_MATVEC_GROUPS=0). Gemma's greedy ids: llama.cpp's CPU build and lavapipe give
# 180998,88380,250396,67116 from the prompt 2,100,200,300 (session 19, c7).
source docs/bench/h200-s17-ab/common.sh .dev/s20/c.xz
PYTHONPATH=.dev/s20py python3 scripts/make_bench_gguf.py --shape tinyllama-1.1b --out /tmp/tl.gguf > /dev/null
PYTHONPATH=.dev/s20py python3 scripts/make_bench_gguf.py --shape gemma3-270m --out /tmp/g3.gguf > /dev/null
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; sha256sum /tmp/tl.gguf /tmp/g3.gguf $B; } > $OUT/env.txt 2>&1
echo "gemma greedy: $(timeout 100 $B generate -m /tmp/g3.gguf --prompt-ids 2,100,200,300 -n 4 --print-ids 2>/dev/null | tail -1)"
timeout 100 $B bench -m /tmp/tl.gguf -p 512 -n 32 -r 1 > /dev/null 2>&1
timeout 100 $B bench -m /tmp/tl.gguf -p 0 -n 16 -r 1 --profile > $OUT/profile_tl.txt 2>&1
timeout 100 $B bench -m /tmp/g3.gguf -p 0 -n 16 -r 1 --profile > $OUT/profile_g3.txt 2>&1
for round in 1 2; do
  for v in c oldwide nocap; do
    K=""; G=""; [ $v = oldwide ] && K=.dev/s20/k/oldwide; [ $v = nocap ] && G=0
    for M in tl g3; do
      echo "== $M $v: $(SLUICE_KERNEL_DIR=$K SLUICE_MATVEC_GROUPS=$G timeout 100 $B bench -m /tmp/$M.gguf -p 512 -n 128 -r 3 --json 2>/dev/null | summ)"
    done
  done
done
echo "== smollm2 synthetic: $(timeout 100 $B bench $S -p 512 -n 128 -r 3 --json 2>/dev/null | summ)"
echo "== smollm2 synthetic, no persistent kernel: $(SLUICE_PERSISTENT=0 timeout 100 $B bench $S -p 0 -n 128 -r 3 --json 2>/dev/null | summ)"
