#!/bin/bash
# c12: the post-FFN norm fused with the residual add and the next norm (a) against c11 (b).
source docs/bench/h200-s17-ab/common.sh .dev/s19/a.xz
cp /tmp/n/sluice /tmp/n/a
[ -x /tmp/n/b ] || { echo "no /tmp/n/b"; exit 1; }
M=/tmp/g3.gguf; TL=/tmp/tl.gguf
PYTHONPATH=.dev/s19py python3 scripts/make_bench_gguf.py --shape gemma3-270m --out $M
PYTHONPATH=.dev/s19py python3 scripts/make_bench_gguf.py --shape tinyllama-1.1b --out $TL
echo "greedy a: $(timeout 100 /tmp/n/a generate -m $M --prompt-ids 2,100,200,300 -n 4 --print-ids 2>/dev/null | tail -1)"
timeout 100 /tmp/n/a bench -m $M -p 512 -n 32 -r 1 > /dev/null 2>&1
for round in 1 2; do
  for v in b a; do
    echo "== $v gemma3: $(timeout 200 /tmp/n/$v bench -m $M -p 512 -n 128 -r 3 --json 2>/dev/null | summ)"
    echo "== $v tinyllama: $(timeout 200 /tmp/n/$v bench -m $TL -p 0 -n 128 -r 3 --json 2>/dev/null | summ)"
    echo "== $v smollm2: $(timeout 200 /tmp/n/$v bench $S -p 0 -n 128 -r 3 --json 2>/dev/null | summ)"
  done
done
timeout 100 /tmp/n/a bench -m $M -p 0 -n 16 -r 1 --profile 2>&1 | tail -14
