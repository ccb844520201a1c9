#!/bin/bash
# Session 11, final: the real model, this session's code (sluice.xz) against session 10's last
# commit e48e27c (old.xz), alternating; the model was assembled in /tmp/m by the calls before.
R=/tmp/res; rm -rf $R; mkdir -p $R
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
for b in sluice old; do mkdir -p /tmp/$b; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/$b.xz'), open('/tmp/$b/sluice','wb'))"; chmod +x /tmp/$b/sluice; done
M=/tmp/m/model.gguf; SL=/tmp/sluice/sluice; OLD=/tmp/old/sluice
run() { local name=$1; shift; echo "### $name: $*" >> $R/cmds.txt; local t0=$(date +%s%N)
  timeout 100 "$@" > $R/$name.out 2> $R/$name.err; local rc=$?
  echo "rc=$rc wall_ms=$(( ($(date +%s%N) - t0) / 1000000 ))" >> $R/cmds.txt; echo "== $name rc=$rc $(( ($(date +%s%N) - t0) / 1000000 )) ms"; }
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm --format=csv; sha256sum $M $SL $OLD; cat .dev/commit.txt; } > $R/env.txt 2>&1
cat $R/env.txt
$SL bench -m $M -p 512 -n 32 -r 2 > /dev/null 2>&1
run S1_pp512_tg128 $SL bench -m $M -p 512 -n 128 -r 5 --json
for i in 1 2; do
  run A${i}_old $OLD bench -m $M -p 0 -n 128 -r 5 --json
  run A${i}_new $SL bench -m $M -p 0 -n 128 -r 5 --json
done
run S2_depth $SL bench -m $M -p 0 -n 128 -d 0,256,512,1024,2048,4096 -r 3 --json
run S2_depth_old $OLD bench -m $M -p 0 -n 128 -d 0,256,512,1024,2048,4096 -r 2 --json
run S3_nochain env SLUICE_CHAIN_STEPS=1 $SL bench -m $M -p 0 -n 128 -r 5 --json
run S8_ppl $SL perplexity -m $M -f README.md -c 128 --chunks 2
run S9_gen $SL generate -m $M -p "The three primary colors are" -n 24 --print-ids
cat $R/cmds.txt
for f in $R/S1*.out $R/A*.out $R/S2*.out $R/S3*.out; do echo "---- $f"; python3 -c "
import json
d=json.load(open('$f'))
print(d['device_bytes'], d['kv_cache_bytes'], d['size_bytes'])
for t in d['tests']: print(t['test'], round(t['tokens_per_second'],1), round(t['sd'],1))" 2>&1 | tail -8; done
for f in $R/S8*.out $R/S9*.out; do echo "---- $f"; tail -4 $f; done
for f in $R/S*.err; do [ -s $f ] && { echo "---- $f"; tail -2 $f; }; done
tar czf $OUT/results.tar.gz -C /tmp res
