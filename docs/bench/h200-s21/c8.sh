#!/bin/bash
# c8 (session 22): the final binary (commit in .dev/s22/commit.txt) — pp512 and tg128 of
# the synthetic SmolLM2-135M Q4_1 model and of both K-quant files, with attention on matrix
# cores (default) and without (SLUICE_COOP_ATTENTION=0), and Gemma's greedy ids.
source docs/bench/h200-s17-ab/common.sh .dev/s22/n.xz
PYTHONPATH=.dev/s22/py python3 scripts/make_bench_gguf.py --shape tinyllama-1.1b --out /tmp/tl.gguf > /dev/null
PYTHONPATH=.dev/s22/py python3 scripts/make_bench_gguf.py --shape gemma3-270m --out /tmp/g3.gguf > /dev/null
(cat .dev/s22/commit.txt; sha256sum /tmp/tl.gguf /tmp/g3.gguf /tmp/n/sluice; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader) > $OUT/env.txt
echo "gemma greedy: $(timeout 100 $B generate -m /tmp/g3.gguf --prompt-ids 2,100,200,300 -n 4 --print-ids 2>/dev/null | tail -1)"
for a in 0 def; do E=$a; [ $a = def ] && E=
  SLUICE_COOP_ATTENTION=$E timeout 100 $B bench $S -p 512 -n 16 -r 1 > /dev/null 2>&1
  for M in tl g3; do SLUICE_COOP_ATTENTION=$E timeout 100 $B bench -m /tmp/$M.gguf -p 512 -n 16 -r 1 > /dev/null 2>&1; done
done
for round in 1 2; do for a in 0 def; do E=$a; [ $a = def ] && E=
  echo "== att=$a smollm2 $round: $(SLUICE_COOP_ATTENTION=$E timeout 200 $B bench $S -p 512 -n 128 -r 5 --json 2>/dev/null | summ)"
  for M in tl g3; do
    echo "== att=$a $M $round: $(SLUICE_COOP_ATTENTION=$E timeout 200 $B bench -m /tmp/$M.gguf -p 512 -n 128 -r 5 --json 2>/dev/null | summ)"
  done
done; done
for M in tl g3; do timeout 100 $B bench -m /tmp/$M.gguf -p 512 -n 0 -r 1 --profile > $OUT/profile_$M.txt 2>&1; done
timeout 100 $B bench $S -p 512 -n 0 -r 1 --profile > $OUT/profile_smollm2.txt 2>&1
