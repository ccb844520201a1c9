#!/bin/bash
# c6 (session 20's last): the current binary (d) on the session-19 files (byte-identical:
# make_bench_gguf.py is deterministic; llama.cpp's numbers for them are session 19's c7) and
# the synthetic SmolLM2 shape; Gemma's greedy ids (llama.cpp's CPU build and lavapipe:
# 180998,88380,250396,67116); --profile tables by kernel and shape.
source docs/bench/h200-s17-ab/common.sh .dev/s20/d.xz
PYTHONPATH=.dev/s20py python3 scripts/make_bench_gguf.py --shape tinyllama-1.1b --out /tmp/tl.gguf > /dev/null
PYTHONPATH=.dev/s20py python3 scripts/make_bench_gguf.py --shape gemma3-270m --out /tmp/g3.gguf > /dev/null
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; sha256sum /tmp/tl.gguf /tmp/g3.gguf $B; cat .dev/s20/commit.txt; } > $OUT/env.txt 2>&1
echo "gemma greedy: $(timeout 100 $B generate -m /tmp/g3.gguf --prompt-ids 2,100,200,300 -n 4 --print-ids 2>/dev/null | tail -1)"
for M in tl g3; do
  timeout 100 $B bench -m /tmp/$M.gguf -p 512 -n 32 -r 1 > /dev/null 2>&1
  for round in 1 2; do
    echo "== sluice $M round $round: $(timeout 200 $B bench -m /tmp/$M.gguf -p 512 -n 128 -r 5 --json 2>/dev/null | tee $OUT/sluice_${M}_$round.json | summ)"
  done
  timeout 100 $B bench -m /tmp/$M.gguf -p 0 -n 16 -r 1 --profile > $OUT/profile_$M.txt 2>&1
done
echo "== smollm2 synthetic: $(timeout 100 $B bench $S -p 512 -n 128 -r 5 --json 2>/dev/null | summ)"
echo "== smollm2 synthetic, no persistent kernel: $(SLUICE_PERSISTENT=0 timeout 100 $B bench $S -p 0 -n 128 -r 3 --json 2>/dev/null | summ)"
