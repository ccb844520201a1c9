#!/bin/bash
# Session 17, c10: small integers to floats without a conversion instruction in the weight
# decoding (weights.glsl u4f / s8f: exact, the same values): cv = the persistent kernel and the
# chain's tail (head_chain) built so, cvp = the persistent kernel only; base = e963b20's
# kernels. The binary: e963b20 (.dev/n.xz).
source docs/bench/h200-s17-ab/common.sh .dev/n.xz
ab base cv cvp
for v in base cv; do
  echo "== stamps $v"; SLUICE_KERNEL_DIR=.dev/s17/k/$v SLUICE_CHAIN_STAMPS=1 timeout 60 $B bench $S -p 0 -n 128 -r 1 2>&1 | grep "chain of" | sed -n '15,17p'
done
