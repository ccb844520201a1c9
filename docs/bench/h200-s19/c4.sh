#!/bin/bash
# Session 19 c4: a TinyLlama-shape Q4_K_M-style GGUF (scripts/make_bench_gguf.py, random
# weights) written on the GPU machine; llama.cpp (llama-bench, the session-12 build) and
# Sluice (the staged-row plain matrix kernels) on that file in one call.
source docs/bench/h200-s17-ab/common.sh .dev/s19/a.xz
mkdir -p /tmp/lb; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/lb.xz'), open('/tmp/lb/llama-bench','wb'))"; chmod +x /tmp/lb/llama-bench
LB=/tmp/lb/llama-bench; M=/tmp/tl.gguf
t0=$(date +%s); PYTHONPATH=.dev/s19py python3 scripts/make_bench_gguf.py --shape tinyllama-1.1b --out $M; echo "gguf written in $(( $(date +%s) - t0 )) s"
sha256sum $M $B $LB; ls -la $M
timeout 100 $LB -m $M -ngl 99 -p 512 -n 32 -r 1 2>&1 | tail -4
timeout 100 $B bench -m $M -p 512 -n 32 -r 1 2>&1 | tail -3
for round in 1 2; do
  echo "== llama round $round"; timeout 200 $LB -m $M -ngl 99 -p 512 -n 128 -r 3 -fa 0,1 -o json 2>/dev/null > $OUT/llama_$round.json
  python3 -c "
import json; d=json.load(open('$OUT/llama_$round.json'))
for r in d: print('llama', r.get('n_prompt'), r.get('n_gen'), r.get('flash_attn'), round(r['avg_ts'],1), round(r['stddev_ts'],1))"
  echo "== sluice round $round: $(timeout 200 $B bench -m $M -p 512 -n 128 -r 3 --json 2>/dev/null | tee $OUT/sluice_$round.json | summ)"
done
timeout 100 $B bench -m $M -p 0 -n 16 -r 1 --profile 2>&1 | tail -14
