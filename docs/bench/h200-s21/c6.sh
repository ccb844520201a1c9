#!/bin/bash
# c6 (session 22): attention on matrix cores for head sizes up to 256
# (attention_coop_rows16.comp, 16 query rows a workgroup) beside c5's 64-row kernel.
# SLUICE_COOP_ATTENTION: 0 = attention_tiled / attention.comp, unset = the default choice,
# 16 = the 16-row kernel for every head size.
# Checks against the CPU reference: llama_block.graph reshaped by mkblock.sh (hidden 512,
# q4_k weights) to 8×64 / 2 KV heads, 8×128 / 2, 4×256 / 1 and 4×256 / 1 with a sliding
# window of 40, at several (T, P).
source docs/bench/h200-s17-ab/common.sh .dev/s22/n.xz
mkdir -p /tmp/g
bash docs/bench/h200-s21/mkblock.sh 8 2 64 0 /tmp/g/d64.graph
bash docs/bench/h200-s21/mkblock.sh 8 2 128 0 /tmp/g/d128.graph
bash docs/bench/h200-s21/mkblock.sh 4 1 256 0 /tmp/g/d256.graph
bash docs/bench/h200-s21/mkblock.sh 4 1 256 40 /tmp/g/d256w.graph
for a in 0 def 16; do for gr in d64 d128 d256 d256w; do for bind in T=300,P=0,C=320 T=250,P=37,C=320 T=9,P=100,C=128 T=77,P=0,C=80; do
  E=$a; [ $a = def ] && E=
  echo "check att=$a $gr $bind: $(SLUICE_COOP_ATTENTION=$E timeout 60 $B run /tmp/g/$gr.graph --check --bind $bind 2>&1 | grep -E 'PASS|FAIL|rror' | tr '\n' ' ')"
done; done; done
PYTHONPATH=.dev/s22/py python3 scripts/make_bench_gguf.py --shape tinyllama-1.1b --out /tmp/tl.gguf > /dev/null
PYTHONPATH=.dev/s22/py python3 scripts/make_bench_gguf.py --shape gemma3-270m --out /tmp/g3.gguf > /dev/null
for a in 0 def 16; do E=$a; [ $a = def ] && E=
  echo "gemma greedy att=$a: $(SLUICE_COOP_ATTENTION=$E timeout 100 $B generate -m /tmp/g3.gguf --prompt-ids 2,100,200,300 -n 4 --print-ids 2>/dev/null | tail -1)"
  for M in tl g3; do SLUICE_COOP_ATTENTION=$E timeout 100 $B bench -m /tmp/$M.gguf -p 512 -n 0 -r 1 > /dev/null 2>&1; done
  SLUICE_COOP_ATTENTION=$E timeout 100 $B bench $S -p 512 -n 0 -r 1 > /dev/null 2>&1
done
for round in 1 2; do for a in 0 def 16; do E=$a; [ $a = def ] && E=
  for M in tl g3; do
    echo "== att=$a $M $round: $(SLUICE_COOP_ATTENTION=$E timeout 200 $B bench -m /tmp/$M.gguf -p 512 -n 0 -r 5 --json 2>/dev/null | summ)"
  done
  echo "== att=$a smollm2 $round: $(SLUICE_COOP_ATTENTION=$E timeout 200 $B bench $S -p 512 -n 0 -r 5 --json 2>/dev/null | summ)"
done; done
for a in def 16; do E=$a; [ $a = def ] && E=
  for M in tl g3; do SLUICE_COOP_ATTENTION=$E timeout 100 $B bench -m /tmp/$M.gguf -p 512 -n 0 -r 1 --profile > $OUT/profile_${M}_att$a.txt 2>&1; done
  SLUICE_COOP_ATTENTION=$E timeout 100 $B bench $S -p 512 -n 0 -r 1 --profile > $OUT/profile_smollm2_att$a.txt 2>&1
done
