#!/bin/bash
# Session 17, the final binary (the host no longer rebuilds the environment before every chain)
# and llama.cpp in one call: the commands of session 16's final.sh, which this ran as a copy
# differing only in this comment.
exec bash docs/bench/h200-s16-final/final.sh "$@"
