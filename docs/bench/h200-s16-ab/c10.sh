#!/bin/bash
# Session 16, c10 (d78f0d2): workgroup count (SLUICE_PERSISTENT_GROUPS) and 120 rows per replica
# with four stages a layer.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
mkdir -p /tmp/n; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.dev/b/n.xz'), open('/tmp/n/sluice','wb'))"; chmod +x /tmp/n/sluice
B=/tmp/n/sluice; S="--synthetic smollm2-135m"
timeout 60 $B bench $S -p 512 -n 64 -r 2 >/dev/null 2>&1
summ() { python3 -c "
import json,sys
d=json.load(sys.stdin)
print(' | '.join('%s %.1f ± %.1f %s' % (t['test'], t['tokens_per_second'], t['sd'], t.get('ids',[])[:2]) for t in d['tests']))"; }
D="-d 0,512,2048"
for round in 1 2; do
  echo "== cur:    $(timeout 100 $B bench $S -p 0 -n 128 $D -r 3 --json 2>/dev/null | summ)"
  for g in 200 232; do echo "== g$g:   $(SLUICE_PERSISTENT_GROUPS=$g timeout 100 $B bench $S -p 0 -n 128 $D -r 3 --json 2>/dev/null | summ)"; done
  echo "== hr120:  $(SLUICE_PERSISTENT_HEAD_ROWS=120 timeout 100 $B bench $S -p 0 -n 128 $D -r 3 --json 2>/dev/null | summ)"
  echo "== norot:  $(SLUICE_PERSISTENT_OFF=rotate timeout 100 $B bench $S -p 0 -n 128 $D -r 3 --json 2>/dev/null | summ)"
done
