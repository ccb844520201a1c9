#!/bin/bash
# c3 (session 20): the binary with the K-quant unit kernels built in (q4_k and q6_k, no
# prefetch: c2's kqnp), and SLUICE_MATVEC_GROUPS (workgroups per multiprocessor for the
# plain matrix kernels: unset = one per 8 columns, else at most that many per SM).
source docs/bench/h200-s17-ab/common.sh .dev/s20/b.xz
PYTHONPATH=.dev/s20py python3 scripts/make_bench_gguf.py --shape tinyllama-1.1b --out /tmp/tl.gguf > /dev/null
PYTHONPATH=.dev/s20py python3 scripts/make_bench_gguf.py --shape gemma3-270m --out /tmp/g3.gguf > /dev/null
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; sha256sum /tmp/tl.gguf /tmp/g3.gguf $B; } > $OUT/env.txt 2>&1
timeout 100 $B bench -m /tmp/tl.gguf -p 512 -n 32 -r 1 > /dev/null 2>&1
for g in 2 4; do SLUICE_MATVEC_GROUPS=$g timeout 100 $B bench -m /tmp/tl.gguf -p 0 -n 16 -r 1 --profile > $OUT/profile_tl_g$g.txt 2>&1; done
for round in 1 2; do
  for g in "" 1 2 3 4; do
    for M in tl g3; do
      echo "== $M groups=${g:-default}: $(SLUICE_MATVEC_GROUPS=$g timeout 100 $B bench -m /tmp/$M.gguf -p 0 -n 128 -r 3 --json 2>/dev/null | summ)"
    done
  done
done
echo "== smollm2 synthetic: $(timeout 100 $B bench $S -p 0 -n 128 -r 3 --json 2>/dev/null | summ)"
echo "== smollm2 synthetic, no persistent kernel: $(SLUICE_PERSISTENT=0 timeout 100 $B bench $S -p 0 -n 128 -r 3 --json 2>/dev/null | summ)"
echo "== smollm2 synthetic, no persistent kernel, groups 2: $(SLUICE_MATVEC_GROUPS=2 SLUICE_PERSISTENT=0 timeout 100 $B bench $S -p 0 -n 128 -r 3 --json 2>/dev/null | summ)"
