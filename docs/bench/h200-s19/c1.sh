#!/bin/bash
# Session 19 c1 (prepared in session 18): main's binary (.dev/s19/n.xz, build it first) with
# the kernel candidates of branches s18-reduce-pingpong (pp), s18-batched-polls (bp) and both
# (bppp), s18-fewer-barriers (fb) and all three (all: branch s18-candidates), synthetic SmolLM2 shape. Carry [".gl", ".dev/s19"].
source docs/bench/h200-s17-ab/common.sh .dev/s19/n.xz
timeout 60 $B bench $S -p 512 -n 64 -r 2 2>&1 | tail -1
for v in base pp bp fb all; do
  echo "$v: $(SLUICE_KERNEL_DIR=.dev/s19/k/$v SLUICE_PIPELINE_STATS=persistent_q4 timeout 60 $B bench $S -p 0 -n 4 -r 1 2>&1 | grep -i "regist\|local" | head -2 | cut -c1-200 | tr '\n' ' ')"
done
for round in 1 2; do
  for v in base pp bp fb all; do
    echo "== $v: $(SLUICE_KERNEL_DIR=.dev/s19/k/$v timeout 100 $B bench $S -p 0 -n 128 -d 0,512,2048 -r 3 --json 2>/dev/null | summ)"
  done
done
for v in base bp; do
  echo "profile $v:"; SLUICE_KERNEL_DIR=.dev/s19/k/$v timeout 60 $B bench $S -p 0 -n 16 -r 1 --profile 2>&1 | grep -iE "handoff|qkv|attention|swiglu|matmul|path" | head -12
done
