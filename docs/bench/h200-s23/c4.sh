#!/bin/bash
# Session 23, c4: matmul_coop_wide.comp (128 × 128 tiles, 512 invocations; the input rows read
# half as often as by the tall kernel's 128 × 64 tiles). SLUICE_COOP_WIDE: 0 = never (the
# session-22 choice), unset = where the grid has two tiles per multiprocessor, 1 = always.
# Checks against the CPU reference: llama_block.graph reshaped to hidden 512, 8 query / 2 KV
# heads of 64 (c5's), each weight type, "h" = float16 K/V cache, "odd" = q4_1 with an FFN of
# 1504 (a last column tile in part); then pp512 on the synthetic shapes and TinyLlama /
# Gemma 3 Q4_K_M-style files (scripts/make_bench_gguf.py, the bytes of sessions 19–22).
source docs/bench/h200-s17-ab/common.sh .dev/s23/n2.xz
source docs/bench/h200-s23/blocks.sh
for w in 1 0; do for dt in q4_k q6_k q4_0 q4_1 q8_0 f16 q5_1 f32 h odd; do
  echo "check wide=$w $dt: $(SLUICE_COOP_WIDE=$w chk $dt T=300,P=0,C=320)"
done; done
for dt in q4_k h odd; do for bind in T=250,P=37,C=320 T=9,P=100,C=128 T=128,P=0,C=128; do
  echo "check wide=1 $dt $bind: $(SLUICE_COOP_WIDE=1 chk $dt $bind)"
done; done
TL="--synthetic tinyllama-1.1b-q4k"
t0=$(date +%s)
PYTHONPATH=.dev/s23/py python3 scripts/make_bench_gguf.py --shape tinyllama-1.1b --out /tmp/tl.gguf > /dev/null
PYTHONPATH=.dev/s23/py python3 scripts/make_bench_gguf.py --shape gemma3-270m --out /tmp/g3.gguf > /dev/null
echo "ggufs written in $(( $(date +%s) - t0 )) s"; sha256sum /tmp/tl.gguf /tmp/g3.gguf $B
for w in 0 def; do E=$w; [ $w = def ] && E=
  echo "tinyllama greedy wide=$w: $(SLUICE_COOP_WIDE=$E timeout 100 $B generate -m /tmp/tl.gguf --prompt-ids 1,100,200,300,400,500,600,700,800,900 -n 4 --print-ids 2>/dev/null | tail -1)"
  for M in "-m /tmp/tl.gguf" "-m /tmp/g3.gguf" "$TL" "$S"; do SLUICE_COOP_WIDE=$E timeout 100 $B bench $M -p 512 -n 0 -r 1 > /dev/null 2>&1; done
done
for round in 1 2; do for w in 0 def 1; do E=$w; [ $w = def ] && E=
  for M in tl g3; do
    echo "== wide=$w $M $round: $(SLUICE_COOP_WIDE=$E timeout 200 $B bench -m /tmp/$M.gguf -p 512 -n 0 -r 5 --json 2>/dev/null | summ)"
  done
  echo "== wide=$w tl-synthetic $round: $(SLUICE_COOP_WIDE=$E timeout 200 $B bench $TL -p 512 -n 0 -r 5 --json 2>/dev/null | summ)"
  echo "== wide=$w smollm2 $round: $(SLUICE_COOP_WIDE=$E timeout 200 $B bench $S -p 512 -n 0 -r 5 --json 2>/dev/null | summ)"
done; done
for w in 0 def; do E=$w; [ $w = def ] && E=
  SLUICE_COOP_WIDE=$E timeout 100 $B bench -m /tmp/tl.gguf -p 512 -n 0 -r 1 --profile 2>&1 | grep -E "^matmul_coop|^attention_coop" | head -9 | sed "s/^/wide=$w: /"
done
SLUICE_PIPELINE_STATS=matmul_coop timeout 60 $B bench -m /tmp/tl.gguf -p 512 -n 0 -r 1 2>&1 | grep -i "regist" | cut -c1-160
