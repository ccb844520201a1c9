#!/bin/bash
# c10: weight words of the first round touched before the row staging (a) against c9 (b).
# The commands were c9.sh's, with that call's binaries (a: .dev/s19/a.xz, b: .dev/s19b/b.xz via
# .dev/s19b/stash.sh).
exec bash "$(dirname "$0")/c9.sh"
