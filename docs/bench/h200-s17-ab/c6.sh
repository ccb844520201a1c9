#!/bin/bash
# Session 17, c6: fh (the fused projection's rows taken by D / 8 invocations, a piece each, coalesced)
# against base (d884b0e's kernel); the binary of c2.
source docs/bench/h200-s17-ab/common.sh .dev/s17/n.xz
ab base fh
