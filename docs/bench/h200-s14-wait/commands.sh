#!/bin/bash
# Session 14: chains that wait for their fence by sleeping through most of the expected time
# and polling from there (ExecutorChain.swift), on the real SmolLM2-135M Q4_1 file; A/B in one
# binary: SLUICE_CHAIN_WAIT unset (the new wait) or =block (the short poll, then a blocking wait,
# as before); a persistent-kernel variant through SLUICE_KERNEL_DIR (.dev/kv/vun: attention's
# value sums with four keys' reads issued together); and llama.cpp (llama-cpp-python 0.3.36's
# vendor/llama.cpp, Vulkan, built on the device; not in this repo) in the same call.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
R=/tmp/res; rm -rf $R; mkdir -p $R
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/sl; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/n.xz'), open('/tmp/sl/sluice','wb'))"; chmod +x /tmp/sl/sluice
M=/tmp/m/model.gguf; LB=/tmp/lb/llama-bench; SL=/tmp/sl/sluice
run() { local name=$1; shift; echo "### $name: $*" >> $R/cmds.txt; local t0=$(date +%s%N)
  timeout 120 "$@" > $R/$name.out 2> $R/$name.err; local rc=$?
  echo "rc=$rc wall_ms=$(( ($(date +%s%N) - t0) / 1000000 ))" >> $R/cmds.txt; echo "== $name rc=$rc $(( ($(date +%s%N) - t0) / 1000000 )) ms"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version --format=csv; sha256sum $M $SL $LB .dev/kv/vun/*.spv; cat .dev/commit.txt; } > $R/env.txt 2>&1
cat $R/env.txt
$LB -m $M -ngl 99 -p 512 -n 32 -r 1 > /dev/null 2>&1
$SL bench -m $M -p 512 -n 32 -r 2 > /dev/null 2>&1
for round in 1 2 3; do
  run S1_poll_$round $SL bench -m $M -p 0 -n 128 -r 5 --json
  run S1_block_$round env SLUICE_CHAIN_WAIT=block $SL bench -m $M -p 0 -n 128 -r 5 --json
done
for round in 1 2; do
  run S1_vun_$round env SLUICE_KERNEL_DIR=.dev/kv/vun $SL bench -m $M -p 0 -n 128 -d 0,512,2048 -r 3 --json
  run S1_base_$round $SL bench -m $M -p 0 -n 128 -d 0,512,2048 -r 3 --json
done
run L1_pp512_tg128 $LB -m $M -ngl 99 -p 512 -n 128 -r 5 -fa 0,1 -o json
run S2_pp512_tg128 $SL bench -m $M -p 512 -n 128 -r 5 --json
run L2_depth_fa1 $LB -m $M -ngl 99 -p 0 -n 128 -fa 1 -d 0,256,512,1024,2048,4096 -r 3 -o json
run S3_depth $SL bench -m $M -p 0 -n 128 -d 0,256,512,1024,2048,4096 -r 3 --json
run S3_block_depth env SLUICE_CHAIN_WAIT=block $SL bench -m $M -p 0 -n 128 -d 0,512,2048,4096 -r 2 --json
run L3_tg128_fa1 $LB -m $M -ngl 99 -p 0 -n 128 -fa 1 -r 5 -o json
run S4_tg128 $SL bench -m $M -p 0 -n 128 -r 5 --json
run S5_stamps env SLUICE_CHAIN_STAMPS=1 $SL bench -m $M -p 0 -n 128 -r 1
run S8_ppl $SL perplexity -m $M -f README.md -c 128 --chunks 2
run S9_gen $SL generate -m $M -p "The three primary colors are" -n 24 --print-ids
cat $R/cmds.txt
for f in $R/L*.out; do echo "---- $f"; python3 -c "
import json,sys
for r in json.load(open('$f')): print(r.get('n_prompt'), r.get('n_gen'), r.get('n_depth'), r.get('flash_attn'), round(r['avg_ts'],1), round(r['stddev_ts'],1))" 2>&1 | head -20; done
for f in $R/S1*.out $R/S2*.out $R/S3*.out $R/S4*.out; do echo "---- $f"; python3 -c "
import json
d=json.load(open('$f'))
print(d['device_bytes'], d['kv_cache_bytes'], d['size_bytes'])
for t in d['tests']: print(t['test'], round(t['tokens_per_second'],1), round(t['sd'],1), t.get('ids',[])[:6])" 2>&1 | tail -8; done
for f in $R/S5*.err $R/S8*.out $R/S9*.out $R/S9*.err; do echo "---- $f"; tail -12 $f; done
for f in $R/S*.err $R/L*.err; do [ -s $f ] && { echo "---- $f"; tail -2 $f; }; done
tar czf $OUT/results.tar.gz -C /tmp res
