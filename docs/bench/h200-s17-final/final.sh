#!/bin/bash
# Session 17, the final binary (the host reads the environment once, not before every chain) and
# llama.cpp in one call (the same commands as sessions 15 and 16).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
R=/tmp/fin; rm -rf $R; mkdir -p $R
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/sl; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/n.xz'), open('/tmp/sl/sluice','wb'))"; chmod +x /tmp/sl/sluice
M=/tmp/m/model.gguf; LB=/tmp/lb/llama-bench; SL=/tmp/sl/sluice
run() { local name=$1; shift; echo "### $name: $*" >> $R/cmds.txt; local t0=$(date +%s%N)
  timeout 120 "$@" > $R/$name.out 2> $R/$name.err; local rc=$?
  echo "rc=$rc wall_ms=$(( ($(date +%s%N) - t0) / 1000000 ))" >> $R/cmds.txt; echo "== $name rc=$rc $(( ($(date +%s%N) - t0) / 1000000 )) ms"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; sha256sum $M $SL $LB; cat .dev/commit.txt; } > $R/env.txt 2>&1
$LB -m $M -ngl 99 -p 512 -n 32 -r 1 > /dev/null 2>&1
$SL bench -m $M -p 512 -n 32 -r 2 > /dev/null 2>&1
for round in 1 2; do
  run F1_tg128_$round $SL bench -m $M -p 0 -n 128 -r 5 --json
  run F2_llama_tg128_fa1_$round $LB -m $M -ngl 99 -p 0 -n 128 -fa 1 -r 5 -o json
done
run F3_llama_pp512_tg128 $LB -m $M -ngl 99 -p 512 -n 128 -r 5 -fa 0,1 -o json
run F4_pp512_tg128 $SL bench -m $M -p 512 -n 128 -r 5 --json
run F5_llama_depth_fa1 $LB -m $M -ngl 99 -p 0 -n 128 -fa 1 -d 0,256,512,1024,2048,4096 -r 3 -o json
run F6_depth $SL bench -m $M -p 0 -n 128 -d 0,256,512,1024,2048,4096 -r 3 --json
run F7_tg128 $SL bench -m $M -p 0 -n 128 -r 5 --json
run F8_ppl $SL perplexity -m $M -f README.md -c 128 --chunks 2
run F9_gen $SL generate -m $M -p "The three primary colors are" -n 24 --print-ids
run F10_stamps env SLUICE_CHAIN_STAMPS=1 $SL bench -m $M -p 0 -n 128 -r 1
cat $R/env.txt
for f in $R/F*.out; do echo "---- $f"; python3 -c "
import json,sys
d=json.load(open('$f'))
if isinstance(d, list):
    for r in d: print('llama', r.get('n_prompt'), r.get('n_gen'), r.get('n_depth'), r.get('flash_attn'), round(r['avg_ts'],1), round(r['stddev_ts'],1))
else:
    print(d['device_bytes'], d['kv_cache_bytes'], d['size_bytes'])
    for t in d['tests']: print(t['test'], round(t['tokens_per_second'],1), round(t['sd'],1), t.get('ids',[])[:6])" 2>/dev/null || tail -3 $f; done
tail -2 $R/F9_gen.err
tar czf $OUT/final.tar.gz -C /tmp fin
