#!/bin/bash
# c7 (session 19's last): llama.cpp (llama-bench, the session-12 build) and Sluice (the
# current binary) on two files written on the GPU machine by scripts/make_bench_gguf.py:
# a TinyLlama-shape Q4_K_M-style LLaMA and Gemma 3 270M's architecture and types (random
# weights); Sluice's greedy ids on the Gemma one (llama.cpp's CPU build and lavapipe give
# 180998,88380,250396,67116 from the prompt 2,100,200,300); the synthetic SmolLM2 shape.
source docs/bench/h200-s17-ab/common.sh .dev/s19/a.xz
mkdir -p /tmp/lb; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/lb.xz'), open('/tmp/lb/llama-bench','wb'))"; chmod +x /tmp/lb/llama-bench
LB=/tmp/lb/llama-bench
PYTHONPATH=.dev/s19py python3 scripts/make_bench_gguf.py --shape tinyllama-1.1b --out /tmp/tl.gguf
PYTHONPATH=.dev/s19py python3 scripts/make_bench_gguf.py --shape gemma3-270m --out /tmp/g3.gguf
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; sha256sum /tmp/tl.gguf /tmp/g3.gguf $B $LB; cat .dev/s19/commit.txt; } > $OUT/env.txt 2>&1
echo "gemma greedy: $(timeout 100 $B generate -m /tmp/g3.gguf --prompt-ids 2,100,200,300 -n 4 --print-ids 2>/dev/null | tail -1)"
for M in /tmp/tl.gguf /tmp/g3.gguf; do
  n=$(basename $M .gguf)
  timeout 100 $LB -m $M -ngl 99 -p 512 -n 32 -r 1 > /dev/null 2>&1
  timeout 100 $B bench -m $M -p 512 -n 32 -r 1 > /dev/null 2>&1
  for round in 1 2; do
    timeout 200 $LB -m $M -ngl 99 -p 512 -n 128 -r 3 -fa 0,1 -o json 2>/dev/null > $OUT/llama_${n}_$round.json
    python3 -c "
import json; d=json.load(open('$OUT/llama_${n}_$round.json'))
for r in d: print('llama $n', r.get('n_prompt'), r.get('n_gen'), 'fa', r.get('flash_attn'), round(r['avg_ts'],1), '±', round(r['stddev_ts'],1))"
    echo "== sluice $n round $round: $(timeout 200 $B bench -m $M -p 512 -n 128 -r 3 --json 2>/dev/null | tee $OUT/sluice_${n}_$round.json | summ)"
  done
  timeout 100 $B bench -m $M -p 0 -n 16 -r 1 --profile 2>&1 | tail -16 > $OUT/profile_$n.txt
done
echo "== smollm2 synthetic: $(timeout 100 $B bench $S -p 0 -n 128 -r 3 --json 2>/dev/null | summ)"
