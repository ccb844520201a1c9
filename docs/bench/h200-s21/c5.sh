#!/bin/bash
# c5 (session 22): c1–c4's result files were lost with session 21, so this re-runs the A/B
# on a fresh machine with the committed kernels, and adds attention on matrix cores
# (attention_coop.comp; SLUICE_COOP_ATTENTION=0 keeps attention_tiled.comp).
# Checks: one LLaMA block (llama_block.graph reshaped to hidden 512, 8 query / 2 KV heads of
# 64, weights of each type; "h" = float16 KV cache) against the CPU reference, with the
# 128-row matmul kernel never (0) and always (1) used, and with the cache partly filled.
# Then pp512 for: "old" = session 20's matmul_coop.comp (the parent commit's, compiled into
# .dev/s22/k/old), tall = 0 / auto / 1 (SLUICE_COOP_TALL), att = 0 / 1 (coop attention).
source docs/bench/h200-s17-ab/common.sh .dev/s22/n.xz
mkdir -p /tmp/g
for dt in q4_k q6_k q4_0 q4_1 q8_0 f16 q5_1 f32; do
  sed -e 's/576/512/g; s/192/128/g; s/heads = 9/heads = 8/g; s/heads = 3/heads = 2/g' \
      -e "s/q4_1\[/$dt[/g" graphs/llama_block.graph > /tmp/g/block_$dt.graph
done
sed 's/state f32/state f16/g; s/: f32\[C,128\]/: f16[C,128]/g' /tmp/g/block_q4_k.graph > /tmp/g/block_h.graph
chk() { echo "$(timeout 60 $B run /tmp/g/block_$1.graph --check --bind $2 2>&1 | grep -E 'PASS|FAIL|rror' | tr '\n' ' ')"; }
for t in 0 1; do for dt in q4_k q6_k q4_0 q4_1 q8_0 f16 q5_1 f32 h; do
  echo "check tall=$t $dt: $(SLUICE_COOP_TALL=$t chk $dt T=300,P=0,C=320)"
done; done
for a in 0 1; do for dt in q4_k h; do for bind in T=300,P=0,C=320 T=250,P=37,C=320 T=9,P=100,C=128 T=64,P=0,C=64; do
  echo "check att=$a $dt $bind: $(SLUICE_COOP_ATTENTION=$a chk $dt $bind)"
done; done; done
PYTHONPATH=.dev/s22/py python3 scripts/make_bench_gguf.py --shape tinyllama-1.1b --out /tmp/tl.gguf > /dev/null
PYTHONPATH=.dev/s22/py python3 scripts/make_bench_gguf.py --shape gemma3-270m --out /tmp/g3.gguf > /dev/null
for a in 0 1; do
  echo "gemma greedy att=$a: $(SLUICE_COOP_ATTENTION=$a timeout 100 $B generate -m /tmp/g3.gguf --prompt-ids 2,100,200,300 -n 4 --print-ids 2>/dev/null | tail -1)"
  echo "tinyllama greedy att=$a: $(SLUICE_COOP_ATTENTION=$a timeout 100 $B generate -m /tmp/tl.gguf --prompt-ids 1,100,200,300,400,500,600,700,800,900 -n 4 --print-ids 2>/dev/null | tail -1)"
done
V=("old 0 0" "new 0 0" "new auto 0" "new auto 1" "new 0 1" "new 1 1")
for v in "${V[@]}"; do set -- $v; K=""; [ $1 = old ] && K=.dev/s22/k/old
  for M in tl g3; do SLUICE_KERNEL_DIR=$K SLUICE_COOP_TALL=$2 SLUICE_COOP_ATTENTION=$3 timeout 100 $B bench -m /tmp/$M.gguf -p 512 -n 0 -r 1 > /dev/null 2>&1; done
  SLUICE_KERNEL_DIR=$K SLUICE_COOP_TALL=$2 SLUICE_COOP_ATTENTION=$3 timeout 100 $B bench $S -p 512 -n 0 -r 1 > /dev/null 2>&1; done
for round in 1 2; do
  for v in "${V[@]}"; do set -- $v; K=""; [ $1 = old ] && K=.dev/s22/k/old
    for M in tl g3; do
      echo "== $1 tall=$2 att=$3 $M $round: $(SLUICE_KERNEL_DIR=$K SLUICE_COOP_TALL=$2 SLUICE_COOP_ATTENTION=$3 timeout 200 $B bench -m /tmp/$M.gguf -p 512 -n 0 -r 5 --json 2>/dev/null | summ)"
    done
    echo "== $1 tall=$2 att=$3 smollm2 $round: $(SLUICE_KERNEL_DIR=$K SLUICE_COOP_TALL=$2 SLUICE_COOP_ATTENTION=$3 timeout 200 $B bench $S -p 512 -n 0 -r 5 --json 2>/dev/null | summ)"
  done
done
echo "== smollm2 pp512+tg128: $(timeout 200 $B bench $S -p 512 -n 128 -r 3 --json 2>/dev/null | summ)"
for a in 0 1; do
  for M in tl g3; do SLUICE_COOP_ATTENTION=$a timeout 100 $B bench -m /tmp/$M.gguf -p 512 -n 0 -r 1 --profile > $OUT/profile_${M}_att$a.txt 2>&1; done
  SLUICE_COOP_ATTENTION=$a timeout 100 $B bench $S -p 512 -n 0 -r 1 --profile > $OUT/profile_smollm2_att$a.txt 2>&1
done
