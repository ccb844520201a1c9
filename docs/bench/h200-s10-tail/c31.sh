#!/bin/bash
# Session 10: the LM head's kernel alone (sluice run --profile on one-op graphs): time against
# the column count and weight type, and the matrix kernels' other variants.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/sl; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/sluice.xz'), open('/tmp/sl/sluice','wb'))"; chmod +x /tmp/sl/sluice
for g in .dev/hg/head_*.graph; do
  for v in wide shared subgroup; do
    [ $v != wide ] && [[ $g != *49152* ]] && continue
    echo "== $g $v: $(SLUICE_MATMUL_VARIANT=$v timeout 60 /tmp/sl/sluice run $g --profile --repeats 30 2>&1 | grep -E '^add_rms_matmul')"
  done
done
for g in .dev/hg/argmax*.graph; do echo "== $g: $(timeout 60 /tmp/sl/sluice run $g --profile --repeats 30 2>&1 | grep -E '^argmax')"; done
