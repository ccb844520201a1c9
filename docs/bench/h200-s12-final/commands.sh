#!/bin/bash
# Session 12 final: llama.cpp (llama-cpp-python 0.3.36's vendor/llama.cpp, Vulkan, built on the device in this session; not in this repo)
# and Sluice at this session's commit on the real SmolLM2-135M Q4_1 file; "s11 kernel" = the same binary with session 11's last
# persistent kernel (commit 9b6f8fd's persistent.comp, loaded through SLUICE_KERNEL_DIR).
R=/tmp/res; rm -rf $R; mkdir -p $R
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/sl; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/n.xz'), open('/tmp/sl/sluice','wb'))"; chmod +x /tmp/sl/sluice
M=/tmp/m/model.gguf; LB=/tmp/lb/llama-bench; SL=/tmp/sl/sluice; OLD=.dev/k/s11
run() { local name=$1; shift; echo "### $name: $*" >> $R/cmds.txt; local t0=$(date +%s%N)
  timeout 100 "$@" > $R/$name.out 2> $R/$name.err; local rc=$?
  echo "rc=$rc wall_ms=$(( ($(date +%s%N) - t0) / 1000000 ))" >> $R/cmds.txt; echo "== $name rc=$rc $(( ($(date +%s%N) - t0) / 1000000 )) ms"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; sha256sum $M $SL $LB $OLD/*.spv; cat .dev/commit.txt; } > $R/env.txt 2>&1
cat $R/env.txt
$LB -m $M -ngl 99 -p 512 -n 32 -r 1 > /dev/null 2>&1
$SL bench -m $M -p 512 -n 32 -r 2 > /dev/null 2>&1
run L1_pp512_tg128 $LB -m $M -ngl 99 -p 512 -n 128 -r 5 -fa 0,1 -o json
run S1_pp512_tg128 $SL bench -m $M -p 512 -n 128 -r 5 --json
run S1_old_tg128 env SLUICE_KERNEL_DIR=$OLD $SL bench -m $M -p 0 -n 128 -r 5 --json
run S1b_tg128 $SL bench -m $M -p 0 -n 128 -r 5 --json
run L2_depth_fa1 $LB -m $M -ngl 99 -p 0 -n 128 -fa 1 -d 0,256,512,1024,2048,4096 -r 3 -o json
run S2_depth $SL bench -m $M -p 0 -n 128 -d 0,256,512,1024,2048,4096 -r 3 --json
run S2_old_depth env SLUICE_KERNEL_DIR=$OLD $SL bench -m $M -p 0 -n 128 -d 0,512,2048,4096 -r 2 --json
run L3_tg128_fa1 $LB -m $M -ngl 99 -p 0 -n 128 -fa 1 -r 5 -o json
run S5_profile $SL bench -m $M -p 0 -n 128 -r 1 --profile
run S8_ppl $SL perplexity -m $M -f README.md -c 128 --chunks 2
run S9_gen $SL generate -m $M -p "The three primary colors are" -n 24 --print-ids
cat $R/cmds.txt
for f in $R/L*.out; do echo "---- $f"; python3 -c "
import json,sys
for r in json.load(open('$f')): print(r.get('n_prompt'), r.get('n_gen'), r.get('n_depth'), r.get('flash_attn'), round(r['avg_ts'],1), round(r['stddev_ts'],1))" 2>&1 | head -20; done
for f in $R/S1*.out $R/S2*.out; do echo "---- $f"; python3 -c "
import json
d=json.load(open('$f'))
print(d['device_bytes'], d['kv_cache_bytes'], d['size_bytes'])
for t in d['tests']: print(t['test'], round(t['tokens_per_second'],1), round(t['sd'],1), t.get('ids',[])[:6])" 2>&1 | tail -8; done
for f in $R/S5*.out $R/S8*.out $R/S9*.out; do echo "---- $f"; tail -14 $f; done
for f in $R/S*.err $R/L*.err; do [ -s $f ] && { echo "---- $f"; tail -2 $f; }; done
tar czf $OUT/results.tar.gz -C /tmp res
