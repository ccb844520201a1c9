#!/bin/bash
# c7 (session 22): attention_coop.comp with 32 query rows a workgroup (chosen when 64 would
# leave multiprocessors idle: SmolLM2's 9 heads) against 64 and the 16-row kernel; checks of
# the 32-row variant; then the final pp512 / tg128 of both K-quant files. (The real SmolLM2
# file did not go: with the 27.7 MB working tree and the binary, a call carries about 12 MB
# of it, so it would take several back-to-back calls; the synthetic model of its shape ran.)
source docs/bench/h200-s17-ab/common.sh .dev/s22/n.xz
mkdir -p /tmp/g
bash docs/bench/h200-s21/mkblock.sh 8 2 64 0 /tmp/g/d64.graph
bash docs/bench/h200-s21/mkblock.sh 12 4 64 0 /tmp/g/d64b.graph
for a in 32 64; do for gr in d64 d64b; do for bind in T=300,P=0,C=320 T=250,P=37,C=320 T=9,P=100,C=128 T=77,P=0,C=80; do
  echo "check att=$a $gr $bind: $(SLUICE_COOP_ATTENTION=$a timeout 60 $B run /tmp/g/$gr.graph --check --bind $bind 2>&1 | grep -E 'PASS|FAIL|rror' | tr '\n' ' ')"
done; done; done
PYTHONPATH=.dev/s22/py python3 scripts/make_bench_gguf.py --shape tinyllama-1.1b --out /tmp/tl.gguf > /dev/null
PYTHONPATH=.dev/s22/py python3 scripts/make_bench_gguf.py --shape gemma3-270m --out /tmp/g3.gguf > /dev/null
sha256sum /tmp/tl.gguf /tmp/g3.gguf /tmp/n/sluice > $OUT/env.txt
for a in 0 def 64 32 16; do E=$a; [ $a = def ] && E=
  SLUICE_COOP_ATTENTION=$E timeout 100 $B bench $S -p 512 -n 0 -r 1 > /dev/null 2>&1
  SLUICE_COOP_ATTENTION=$E timeout 100 $B bench -m /tmp/tl.gguf -p 512 -n 0 -r 1 > /dev/null 2>&1
done
for round in 1 2; do for a in 0 def 64 32 16; do E=$a; [ $a = def ] && E=
  echo "== att=$a smollm2 $round: $(SLUICE_COOP_ATTENTION=$E timeout 200 $B bench $S -p 512 -n 0 -r 5 --json 2>/dev/null | summ)"
done; done
for a in def 32; do E=$a; [ $a = def ] && E=
  echo "== att=$a tl: $(SLUICE_COOP_ATTENTION=$E timeout 200 $B bench -m /tmp/tl.gguf -p 512 -n 0 -r 5 --json 2>/dev/null | summ)"
done
for M in tl g3; do
  echo "== final $M: $(timeout 300 $B bench -m /tmp/$M.gguf -p 512 -n 128 -r 5 --json 2>/dev/null | summ)"
done
timeout 100 $B bench $S -p 512 -n 0 -r 1 --profile > $OUT/profile_smollm2.txt 2>&1
