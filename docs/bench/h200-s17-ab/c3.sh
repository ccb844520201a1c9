#!/bin/bash
# Session 17, c3: oEarly with the first row's words kept in shared memory (os) against the
# kernel without it (base); the binary of c2.
source docs/bench/h200-s17-ab/common.sh .dev/s17/n.xz
ab base os
