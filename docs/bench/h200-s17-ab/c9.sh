#!/bin/bash
# Session 17, c9: lp = the fused projection a piece per invocation where a replica's rows fit one
# pass (pieceEarly: each invocation's one piece loaded before the unit waits), with 32 rows per
# replica (SLUICE_PERSISTENT_HEAD_ROWS=32: 18 replicas a head); base = e963b20's kernel, with
# 144 (the default) and 32 rows. The binary: e963b20 (.dev/n.xz).
source docs/bench/h200-s17-ab/common.sh .dev/n.xz
timeout 60 $B bench $S -p 512 -n 64 -r 2 2>&1 | tail -1
for v in base lp; do
  echo "$v: $(SLUICE_KERNEL_DIR=.dev/s17/k/$v SLUICE_PIPELINE_STATS=persistent_q4 timeout 60 $B bench $S -p 0 -n 4 -r 1 2>&1 | grep -i "regist" | head -1 | cut -c1-200)"
done
D="-d 0,512,2048"
for round in 1 2; do
  for v in base lp; do
    for hr in 144 32; do
      echo "== $v hr$hr: $(SLUICE_PERSISTENT_HEAD_ROWS=$hr SLUICE_KERNEL_DIR=.dev/s17/k/$v timeout 100 $B bench $S -p 0 -n 128 $D -r 3 --json 2>/dev/null | summ)"
    done
  done
done
