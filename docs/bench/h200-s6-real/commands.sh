#!/bin/bash
# Session 6 ran docs/bench/h200-s5/commands.sh unchanged (only its first comment said
# "Session 6"), with this commit's static binary (env.txt has its checksum and commit).
exec bash "$(dirname "$0")/../h200-s5/commands.sh" "$@"
