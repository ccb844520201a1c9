#!/bin/bash
# Session 23, c2 (first run: base lean, -DLEAN=1; second: base lean2 lean3): the lean attention unit (persistent_attention.glsl's leanSlice, -DLEAN=1:
# subgroup 0 alone waits for its inputs and attends with subgroup reductions while the other
# subgroups load their rows of the fused projection) against base (1623333's kernel),
# synthetic SmolLM2-135M shape; the binary .dev/s23/n.xz (1623333).
source docs/bench/h200-s17-ab/common.sh .dev/s23/n.xz
timeout 60 $B bench $S -p 512 -n 64 -r 2 2>&1 | tail -1
for v in base lean2 lean3; do
  echo "$v: $(SLUICE_KERNEL_DIR=.dev/s23/k/$v SLUICE_PIPELINE_STATS=persistent_q4 timeout 60 $B bench $S -p 0 -n 4 -r 1 2>&1 | grep -i "regist\|local" | head -2 | cut -c1-200 | tr '\n' ' ')"
done
for round in 1 2; do
  for v in base lean2 lean3; do
    echo "== $v: $(SLUICE_KERNEL_DIR=.dev/s23/k/$v timeout 100 $B bench $S -p 0 -n 128 -d 0,512,2048 -r 3 --json 2>/dev/null | summ)"
  done
done
for v in base lean2 lean3; do
  echo "== stamps $v"; SLUICE_KERNEL_DIR=.dev/s23/k/$v SLUICE_CHAIN_STAMPS=1 timeout 60 $B bench $S -p 0 -n 128 -r 1 2>&1 | grep "chain of" | sed -n '14,18p'
done
