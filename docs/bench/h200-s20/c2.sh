#!/bin/bash
# c2 (session 20): the K-quant unit kernels for q4_k and q6_k (kq: 32 values a lane, q6_k's
# from 13 aligned words; a workgroup's first units loaded before its prologue), the same
# without that prefetch (kqnp), c1's q4_k-only kernels (q4u), against the built-in ones (base).
source docs/bench/h200-s17-ab/common.sh .dev/s20/a.xz
PYTHONPATH=.dev/s20py python3 scripts/make_bench_gguf.py --shape tinyllama-1.1b --out /tmp/tl.gguf > /dev/null
PYTHONPATH=.dev/s20py python3 scripts/make_bench_gguf.py --shape gemma3-270m --out /tmp/g3.gguf > /dev/null
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; sha256sum /tmp/tl.gguf /tmp/g3.gguf $B; } > $OUT/env.txt 2>&1
timeout 100 $B bench -m /tmp/tl.gguf -p 512 -n 32 -r 1 > /dev/null 2>&1
for v in kq kqnp; do
  SLUICE_KERNEL_DIR=.dev/s20/k/$v timeout 100 $B bench -m /tmp/tl.gguf -p 0 -n 16 -r 1 --profile > $OUT/profile_tl_$v.txt 2>&1
  echo "$v: $(SLUICE_KERNEL_DIR=.dev/s20/k/$v SLUICE_PIPELINE_STATS=matmul_swiglu_q4_k_subgroup_addrms timeout 60 $B bench -m /tmp/tl.gguf -p 0 -n 4 -r 1 2>&1 | grep -i regist | head -2 | cut -c1-160)"
  echo "$v: $(SLUICE_KERNEL_DIR=.dev/s20/k/$v SLUICE_PIPELINE_STATS=matmul_q6_k_subgroup_none timeout 60 $B bench -m /tmp/tl.gguf -p 0 -n 4 -r 1 2>&1 | grep -i regist | head -2 | cut -c1-160)"
done
for round in 1 2; do
  for v in base q4u kq kqnp; do
    K=""; [ $v != base ] && K=.dev/s20/k/$v
    for M in tl g3; do
      echo "== $M $v: $(SLUICE_KERNEL_DIR=$K timeout 100 $B bench -m /tmp/$M.gguf -p 512 -n 128 -r 3 --json 2>/dev/null | summ)"
    done
  done
done
