#!/bin/bash
# Session 17, c12: c11's three trace kernels again at depth 0, each after an untimed --profile run
# of its own (c11's depth-0 runs, the first after each kernel's compile, were inflated 2–3×).
source docs/bench/h200-s17-ab/common.sh .dev/n.xz
timeout 60 $B bench $S -p 512 -n 64 -r 2 2>&1 | tail -1
for v in t0 t1 t2; do
  SLUICE_KERNEL_DIR=.dev/s17/k/$v timeout 60 $B bench $S -p 0 -n 32 -r 1 --profile > /dev/null 2>&1
  for i in 1 2; do
    echo "== $v depth 0 ($i)"
    SLUICE_KERNEL_DIR=.dev/s17/k/$v timeout 60 $B bench $S -p 0 -n 32 -r 1 --profile 2>&1 | grep -E "^ +[0-9]+ +[0-9.]+|path:" | head -8 | cut -c1-110
  done
done
