#!/bin/bash
# Session 17, c7: oa = the fused projection's first row loaded before the unit waits, as relaxed
# atomic loads (which the compiler keeps where they are) into ten registers; lo = diagnostic, the
# projection's weights loaded but not multiplied (wrong outputs); base = e963b20's kernel. The
# binary: e963b20 (.dev/n.xz).
source docs/bench/h200-s17-ab/common.sh .dev/n.xz
ab base oa lo
