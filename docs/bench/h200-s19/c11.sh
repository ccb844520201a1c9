#!/bin/bash
# c11: the small Qwen 2 / Qwen 3 / Llama 3 (RoPE factors) GGUFs on the H200 (persistent decode
# kernel on by default): greedy ids from their 6-token prompt, to compare with lavapipe's.
source docs/bench/h200-s17-ab/common.sh .dev/s19/a.xz
IDS=$(cat .dev/s19/archs/ids.txt)
for a in qwen2 qwen3 llama3; do
  echo "$a: $(timeout 60 $B generate -m .dev/s19/archs/$a.gguf --prompt-ids $IDS -n 12 --print-ids 2>&1 | tail -2 | head -1)"
  echo "$a plain: $(SLUICE_PERSISTENT=0 timeout 60 $B generate -m .dev/s19/archs/$a.gguf --prompt-ids $IDS -n 12 --print-ids 2>&1 | tail -2 | head -1)"
done
