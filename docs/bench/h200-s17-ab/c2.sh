#!/bin/bash
# Session 17, c2: the fused projection's first row loaded before the attention unit waits
# (oEarly, persistent_attention.glsl): base = the kernel without it (NO_OEARLY), oe = with it;
# nofh = diagnostic, the projection's products not computed (atomics of a wrong value; timing
# only). The binary = d884b0e + the host's env reads once + oEarly built in.
source docs/bench/h200-s17-ab/common.sh .dev/s17/n.xz
ab base oe nofh
for v in base oe; do
  echo "== stamps $v"; SLUICE_KERNEL_DIR=.dev/s17/k/$v SLUICE_CHAIN_STAMPS=1 timeout 60 $B bench $S -p 0 -n 128 -r 1 2>&1 | grep "chain of" | sed -n '14,18p'
done
echo "== profile (oe built in)"
timeout 60 $B bench $S -p 0 -n 32 -r 1 --profile 2>&1 | grep -v "^|" | tail -9
