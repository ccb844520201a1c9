#!/bin/bash
# Session 23, c1: a delay between polls of tagged values (BACKOFF multiply-adds in spinWait;
# diagnostic of L2 contention on the hand-over lines) against base (1623333's kernel), synthetic
# SmolLM2-135M shape; the binary .dev/s23/n.xz (1623333).
source docs/bench/h200-s17-ab/common.sh .dev/s23/n.xz
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv
ab() {
  timeout 60 $B bench $S -p 512 -n 64 -r 2 2>&1 | tail -1
  for round in 1 2; do
    for v in "$@"; do
      echo "== $v: $(SLUICE_KERNEL_DIR=.dev/s23/k/$v timeout 100 $B bench $S -p 0 -n 128 -d 0,512,2048 -r 3 --json 2>/dev/null | summ)"
    done
  done
}
ab base bo16 bo64 bo256
