#!/bin/bash
# Session 17, c5: ored (the fused projection rows' sectors pulled into L2 by atomic ORs of 0 before the
# unit waits; diagnostic) against base (d884b0e's kernel); the binary of c2.
source docs/bench/h200-s17-ab/common.sh .dev/s17/n.xz
ab base ored
D="-d 0,512,2048"
# Whether the matrix stages' early weight loads (issued before the wait) still pay: off = stage flag 1.
for round in 1 2; do
  echo "== base, early off: $(SLUICE_PERSISTENT_OFF=early SLUICE_KERNEL_DIR=.dev/s17/k/base timeout 100 $B bench $S -p 0 -n 128 $D -r 3 --json 2>/dev/null | summ)"
done
