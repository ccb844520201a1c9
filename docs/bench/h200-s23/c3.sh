#!/bin/bash
# Session 23, c3: where the K-quant prefill matmul's time goes (diagnostic kernel variants,
# wrong outputs on purpose, through SLUICE_KERNEL_DIR): nox = no input-row loads (the f32
# activations each 128 × 64 tile reads), halfx = half of them, now = no q4_k weight loads;
# base = 1623333's coop kernels. Synthetic TinyLlama-1.1B Q4_K_M-style shape, pp512.
source docs/bench/h200-s17-ab/common.sh .dev/s23/n.xz
TL="--synthetic tinyllama-1.1b-q4k"
timeout 100 $B bench $TL -p 512 -n 16 -r 2 2>&1 | tail -1
for round in 1 2; do
  for v in base nox halfx now; do
    echo "== $v: $(SLUICE_KERNEL_DIR=.dev/s23/kc/$v timeout 100 $B bench $TL -p 512 -n 1 -r 3 --json 2>/dev/null | summ)"
  done
done
for v in base nox halfx now; do
  echo "== profile $v"; SLUICE_KERNEL_DIR=.dev/s23/kc/$v timeout 100 $B bench $TL -p 512 -n 1 -r 1 --profile 2>&1 | grep -E "^matmul_coop|^attention_coop" | head -8
done
