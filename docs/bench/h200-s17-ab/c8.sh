#!/bin/bash
# Session 17, c8: the products summed a piece at a time (a piece's eight products, then the piece's
# sum to the total: a chain of 8 + pieces adds, not 8 · pieces): pa = in the fused projection,
# pm = in the matrix stages' early path, pam = both; base = e963b20's kernel. The
# binary: e963b20 (.dev/n.xz).
source docs/bench/h200-s17-ab/common.sh .dev/n.xz
ab base pa pm pam
