#!/bin/bash
# Session 18 c2: old (e963b20) against the group layout with the LM head's 8-value pieces
# (pc: WIDE_PIECES) and with 16-quant loads (new).
# .dev/s18/n.xz: 479b1f7 built with --static-swift-stdlib, stripped; /tmp/o/sluice: e963b20's.
source docs/bench/h200-s17-ab/common.sh .dev/s18/n.xz
O=/tmp/o/sluice
[ -x $O ] || { mkdir -p /tmp/o; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/s18o/o.xz'), open('/tmp/o/sluice','wb'))"; chmod +x $O; }
st() { echo "stamps $1: $(env $3 SLUICE_CHAIN_STAMPS=1 timeout 60 $2 bench $S -p 0 -n 128 -r 1 2>&1 | grep 'chain of 32' | tail -1)"; }
run() { echo "== $1: $(env $3 timeout 100 $2 bench $S -p 0 -n 128 -r 3 --json 2>/dev/null | summ)"; }
st old $O; st pc $B SLUICE_KERNEL_DIR=.dev/s18/k/pc; st new $B
run old $O; run pc $B SLUICE_KERNEL_DIR=.dev/s18/k/pc; run old $O; run pc $B SLUICE_KERNEL_DIR=.dev/s18/k/pc
st old $O; st pc $B SLUICE_KERNEL_DIR=.dev/s18/k/pc
