#!/bin/bash
# Sourced by c4.sh and c5.sh (after docs/bench/h200-s17-ab/common.sh, which sets $B): one LLaMA
# block (graphs/llama_block.graph reshaped to hidden 512, 8 query / 2 KV heads of 64, as in
# docs/bench/h200-s21/c5.sh) in /tmp/g for each weight type, "h" with a float16 K/V cache, "odd"
# q4_1 with an FFN of 1504 (a last column tile in part); chk TYPE BINDINGS prints the line of
# `sluice run --check` against the CPU reference.
mkdir -p /tmp/g
for dt in q4_k q6_k q4_0 q4_1 q8_0 f16 q5_1 f32; do
  sed -e 's/576/512/g; s/192/128/g; s/heads = 9/heads = 8/g; s/heads = 3/heads = 2/g' \
      -e "s/q4_1\[/$dt[/g" graphs/llama_block.graph > /tmp/g/block_$dt.graph
done
sed 's/state f32/state f16/g; s/: f32\[C,128\]/: f16[C,128]/g' /tmp/g/block_q4_k.graph > /tmp/g/block_h.graph
sed 's/1536/1504/g' /tmp/g/block_q4_1.graph > /tmp/g/block_odd.graph
chk() { echo "$(timeout 60 $B run /tmp/g/block_$1.graph --check --bind $2 2>&1 | grep -E 'PASS|FAIL|rror' | tr '\n' ' ')"; }
