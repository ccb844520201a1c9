#!/bin/bash
# Session 18 c1: q8_0 group layout (new) against e963b20 (old), synthetic SmolLM2 shape;
# head_chain unroll variants via SLUICE_KERNEL_DIR.
# .dev/s18/n.xz: 479b1f7 built with --static-swift-stdlib, stripped; /tmp/o/sluice: e963b20's.
source docs/bench/h200-s17-ab/common.sh .dev/s18/n.xz
# /tmp/o/sluice: e963b20, unpacked by the call before (.dev/s18o/o.xz).
O=/tmp/o/sluice
timeout 60 $B bench $S -p 512 -n 64 -r 2 2>&1 | tail -1
run() { # label binary [env]
  echo "== $1: $(env $3 timeout 100 $2 bench $S -p 0 -n 128 -d 0,512 -r 3 --json 2>/dev/null | summ)"
}
run old $O; run new $B; run u8 $B SLUICE_KERNEL_DIR=.dev/s18/k/u8; run u2 $B SLUICE_KERNEL_DIR=.dev/s18/k/u2
run old $O; run new $B; run u8 $B SLUICE_KERNEL_DIR=.dev/s18/k/u8
for v in old new; do
  b=$B; [ $v = old ] && b=$O
  echo "stamps $v: $(SLUICE_CHAIN_STAMPS=1 timeout 60 $b bench $S -p 0 -n 128 -r 1 2>&1 | grep 'chain of' | tail -2 | tr '\n' ' ')"
done
