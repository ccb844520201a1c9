#!/bin/bash
# c5 (session 20): c4's binary (c) was slower than c3's on every plain-dispatch model; which
# of 12b53ee's two prologue changes: p8 = the plain row stage back to eight loads an
# iteration (c's issues all 30 at once); nf = p8 and the norm weight applied in a second pass
# again (c folds it into the first and scales the products by the inverse RMS).
source docs/bench/h200-s17-ab/common.sh .dev/s20/c.xz
PYTHONPATH=.dev/s20py python3 scripts/make_bench_gguf.py --shape tinyllama-1.1b --out /tmp/tl.gguf > /dev/null
PYTHONPATH=.dev/s20py python3 scripts/make_bench_gguf.py --shape gemma3-270m --out /tmp/g3.gguf > /dev/null
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; sha256sum /tmp/tl.gguf /tmp/g3.gguf $B; } > $OUT/env.txt 2>&1
timeout 100 $B bench -m /tmp/tl.gguf -p 512 -n 32 -r 1 > /dev/null 2>&1
for v in c p8 nf; do
  K=""; [ $v != c ] && K=.dev/s20/k/$v
  echo "$v: $(SLUICE_KERNEL_DIR=$K SLUICE_PIPELINE_STATS=matmul_q4_k_subgroup_none timeout 60 $B bench -m /tmp/tl.gguf -p 0 -n 4 -r 1 2>&1 | grep -i regist | head -1 | cut -c1-120)"
  echo "$v: $(SLUICE_KERNEL_DIR=$K SLUICE_PIPELINE_STATS=matmul_swiglu_q4_k_subgroup_addrms timeout 60 $B bench -m /tmp/tl.gguf -p 0 -n 4 -r 1 2>&1 | grep -i regist | head -1 | cut -c1-120)"
done
for round in 1 2; do
  for v in c p8 nf; do
    K=""; [ $v != c ] && K=.dev/s20/k/$v
    for M in tl g3; do
      echo "== $M $v: $(SLUICE_KERNEL_DIR=$K timeout 100 $B bench -m /tmp/$M.gguf -p 0 -n 128 -r 3 --json 2>/dev/null | summ)"
    done
    echo "== smollm2 plain $v: $(SLUICE_KERNEL_DIR=$K SLUICE_PERSISTENT=0 timeout 100 $B bench $S -p 0 -n 128 -r 3 --json 2>/dev/null | summ)"
  done
done
