#!/bin/bash
# c8 (session 20): the review commit's binary (the wide kernel's row scale read from shared
# memory) — Gemma's greedy ids and tg128 on both files, as c6.
source docs/bench/h200-s17-ab/common.sh .dev/s20/d.xz
PYTHONPATH=.dev/s20py python3 scripts/make_bench_gguf.py --shape tinyllama-1.1b --out /tmp/tl.gguf > /dev/null
PYTHONPATH=.dev/s20py python3 scripts/make_bench_gguf.py --shape gemma3-270m --out /tmp/g3.gguf > /dev/null
{ date -u; sha256sum /tmp/tl.gguf /tmp/g3.gguf $B; cat .dev/s20/commit.txt; } > $OUT/env.txt 2>&1
echo "gemma greedy: $(timeout 100 $B generate -m /tmp/g3.gguf --prompt-ids 2,100,200,300 -n 4 --print-ids 2>/dev/null | tail -1)"
timeout 100 $B bench -m /tmp/tl.gguf -p 512 -n 32 -r 1 > /dev/null 2>&1
for M in tl g3; do echo "== $M: $(timeout 100 $B bench -m /tmp/$M.gguf -p 512 -n 128 -r 5 --json 2>/dev/null | summ)"; done
timeout 100 $B bench -m /tmp/tl.gguf -p 0 -n 16 -r 1 --profile 2>&1 | grep matmul_wide
