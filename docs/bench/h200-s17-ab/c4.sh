#!/bin/bash
# Session 17, c4: oEarly variants: osq (the words to shared memory one at a time), ot (touch the
# row's sectors into the caches only) against base; the binary of c2.
source docs/bench/h200-s17-ab/common.sh .dev/s17/n.xz
ab base ot osq
