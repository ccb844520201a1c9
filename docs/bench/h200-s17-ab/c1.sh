#!/bin/bash
# Session 17, c1: (a) the host's work between chains (base = d884b0e; new = the environment
# read once and chainProblem cached, with a DBG line per generate: decode µs, µs inside
# runGreedy, µs in submitChain); (b) counted sums one element every CSTRIDE 8-byte words
# (kernel variants, SLUICE_COUNTED_STRIDE sizes the sets), 1 / 4 / 16 / 32.
source docs/bench/h200-s17-ab/common.sh
mkdir -p /tmp/n; python3 -c "import lzma,tarfile; tarfile.open(fileobj=lzma.open('.dev/s17/pair.tar.xz')).extractall('/tmp/n')"; chmod +x /tmp/n/base /tmp/n/new
timeout 60 /tmp/n/base bench $S -p 512 -n 64 -r 2 2>&1 | tail -2
for round in 1 2 3; do
  echo "== base: $(timeout 100 /tmp/n/base bench $S -p 0 -n 128 -r 5 --json 2>/dev/null | summ)"
  echo "== new:  $(timeout 100 /tmp/n/new bench $S -p 0 -n 128 -r 5 --json 2>/tmp/dbg.txt | summ)"
  grep DBG /tmp/dbg.txt | tail -3
done
D="-d 0,512,2048"
for round in 1 2; do
  for s in 1 4 16 32; do
    echo "== s$s: $(SLUICE_KERNEL_DIR=.dev/s17/k/s$s SLUICE_COUNTED_STRIDE=$s timeout 100 /tmp/n/new bench $S -p 0 -n 128 $D -r 3 --json 2>/dev/null | summ)"
  done
done
for s in 1 16; do
  echo "== profile s$s"
  SLUICE_KERNEL_DIR=.dev/s17/k/s$s SLUICE_COUNTED_STRIDE=$s timeout 60 /tmp/n/new bench $S -p 0 -n 32 -r 1 --profile 2>&1 | grep -v "^|" | tail -9
done
SLUICE_CHAIN_STAMPS=1 timeout 60 /tmp/n/new bench $S -p 0 -n 128 -r 1 2>&1 | grep "chain of\|DBG" | tail -10
