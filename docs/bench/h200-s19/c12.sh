#!/bin/bash
# c12: the post-FFN norm fused with the residual add and the next norm (a) against c11 (b).
# The commands were c9.sh's, with that call's binaries (a: .dev/s19/a.xz, b: .dev/s19b/b.xz via
# .dev/s19b/stash.sh).
exec bash "$(dirname "$0")/c9.sh"
