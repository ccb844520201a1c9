#!/bin/bash
# Session 17, c11: where the attention stage's time goes, from --profile's trace kernel with the
# attention units' "inputs in" stamp (slot 1) moved: t0 = as built (after the unit's inputs are
# in), t1 = after the attention (before the fused projection), t2 = before the unit waits (after
# its preload). The handoff column is then the time from the QKV stage's last workgroup finishing
# to the last unit reaching the stamp. The binary: e963b20 (.dev/n.xz).
source docs/bench/h200-s17-ab/common.sh .dev/n.xz
timeout 60 $B bench $S -p 512 -n 64 -r 2 2>&1 | tail -1
for v in t0 t1 t2; do
  for d in 0 512; do
    echo "== $v depth $d"
    SLUICE_KERNEL_DIR=.dev/s17/k/$v timeout 60 $B bench $S -p 0 -n 32 -d $d -r 1 --profile 2>&1 | grep -E "^ +[0-9]+ +[0-9.]+" | head -8
  done
done
