#!/bin/bash
# Session 23, c5: float16 input rows made once per product (half_rows.comp and the
# matmul_coop*_x16.comp kernels) where the column tiles would re-read at least 64 MiB of them.
# SLUICE_COOP_X16: 0 = never (c4's code), unset = that rule, 1 = every matrix-core product.
# Checks against the CPU reference as in c4 (every weight type, "h" = float16 K/V cache, "odd" =
# an FFN of 1504), then pp512 on the files of c4 and the synthetic shapes.
source docs/bench/h200-s17-ab/common.sh .dev/s23/n3.xz
source docs/bench/h200-s23/blocks.sh
for x in 1; do for w in 0 1; do for dt in q4_k q6_k q4_0 q4_1 q8_0 f16 q5_1 f32 h odd; do
  echo "check x16=$x wide=$w $dt: $(SLUICE_COOP_X16=$x SLUICE_COOP_WIDE=$w chk $dt T=300,P=0,C=320)"
done; done; done
for dt in q4_k h odd; do for bind in T=250,P=37,C=320 T=9,P=100,C=128 T=128,P=0,C=128; do
  echo "check x16=1 $dt $bind: $(SLUICE_COOP_X16=1 chk $dt $bind)"
done; done
TL="--synthetic tinyllama-1.1b-q4k"
PYTHONPATH=.dev/s23/py python3 scripts/make_bench_gguf.py --shape tinyllama-1.1b --out /tmp/tl.gguf > /dev/null
PYTHONPATH=.dev/s23/py python3 scripts/make_bench_gguf.py --shape gemma3-270m --out /tmp/g3.gguf > /dev/null
sha256sum /tmp/tl.gguf /tmp/g3.gguf $B
for x in 0 def; do E=$x; [ $x = def ] && E=
  echo "tinyllama greedy x16=$x: $(SLUICE_COOP_X16=$E timeout 100 $B generate -m /tmp/tl.gguf --prompt-ids 1,100,200,300,400,500,600,700,800,900 -n 4 --print-ids 2>/dev/null | tail -1)"
  echo "gemma greedy x16=$x: $(SLUICE_COOP_X16=$E timeout 100 $B generate -m /tmp/g3.gguf --prompt-ids 2,100,200,300 -n 4 --print-ids 2>/dev/null | tail -1)"
  for M in "-m /tmp/tl.gguf" "-m /tmp/g3.gguf" "$TL" "$S"; do SLUICE_COOP_X16=$E timeout 100 $B bench $M -p 512 -n 0 -r 1 > /dev/null 2>&1; done
done
for round in 1 2; do for x in 0 def 1; do E=$x; [ $x = def ] && E=
  for M in tl g3; do
    echo "== x16=$x $M $round: $(SLUICE_COOP_X16=$E timeout 200 $B bench -m /tmp/$M.gguf -p 512 -n 0 -r 5 --json 2>/dev/null | summ)"
  done
  echo "== x16=$x tl-synthetic $round: $(SLUICE_COOP_X16=$E timeout 200 $B bench $TL -p 512 -n 0 -r 5 --json 2>/dev/null | summ)"
  echo "== x16=$x smollm2 $round: $(SLUICE_COOP_X16=$E timeout 200 $B bench $S -p 512 -n 0 -r 5 --json 2>/dev/null | summ)"
done; done
echo "== tl pp512+tg128 (default): $(timeout 200 $B bench -m /tmp/tl.gguf -p 512 -n 128 -r 3 2>&1 | tail -3 | tr '\n' ' ')"
for x in 0 def; do E=$x; [ $x = def ] && E=
  SLUICE_COOP_X16=$E timeout 100 $B bench -m /tmp/tl.gguf -p 512 -n 0 -r 1 --profile 2>&1 | grep -E "^matmul_coop|^half_rows|^attention_coop" | head -12 | sed "s/^/x16=$x: /"
done
