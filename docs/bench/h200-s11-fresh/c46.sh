#!/bin/bash
# Session 11: the LM head (matmul_wide) loading its weights with raw8 (no branch on the block's
# alignment): the one-op head graphs (compare c31 of session 10) and the decode step.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/sl; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/sluice.xz'), open('/tmp/sl/sluice','wb'))"; chmod +x /tmp/sl/sluice
S="--synthetic smollm2-135m"
SLUICE_PIPELINE_STATS=matmul_wide timeout 60 /tmp/sl/sluice bench $S -p 0 -n 16 -r 1 2>&1 | grep -iE "regist" | head -4
timeout 60 /tmp/sl/sluice bench $S -p 512 -n 64 -r 2 >/dev/null 2>&1
for g in .dev/hg/head_*.graph; do
  for n in 384 528; do
    echo "== $g groups $n: $(SLUICE_WIDE_GROUPS=$n timeout 60 /tmp/sl/sluice run $g --profile --repeats 30 2>&1 | grep -E '^add_rms_matmul')"
  done
done
for round in 1 2; do
  echo "== tg128 $(timeout 60 /tmp/sl/sluice bench $S -p 0 -n 128 -r 5 2>&1 | grep tg128)"
done
echo "== profile"; timeout 60 /tmp/sl/sluice bench $S -p 0 -n 32 -r 1 --profile 2>&1 | sed -n '/^decode/,/^total/p'
