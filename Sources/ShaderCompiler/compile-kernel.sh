#!/bin/sh
# Compiles one kernel source with every variant on its "// variants:" line and writes a
# Swift file with the SPIR-V binaries as base64 strings.
# usage: compile-kernel.sh GLSLC INCLUDE_DIR SOURCE.comp OUT.swift WORK_DIR SYMBOL
#                          [COOPMAT_GLSLC [COOPMAT_TARGET_ENV]]
# A source with a line "// requires: coopmat" (GL_KHR_cooperative_matrix) is compiled with
# COOPMAT_GLSLC for COOPMAT_TARGET_ENV (default vulkan1.3) instead; when COOPMAT_GLSLC is
# empty or not executable it gets no binaries (an empty dictionary) and a note on stderr.
set -eu
glslc=$1 inc=$2 src=$3 out=$4 work=$5 sym=$6
coopmat_glslc=${7:-} coopmat_env=${8:-}
base=$(basename "$src" .comp)
env=vulkan1.1
if grep -Eq '^// requires:(.*[[:space:],])?coopmat([[:space:],]|$)' "$src"; then
    if [ -z "$coopmat_glslc" ] || [ ! -x "$coopmat_glslc" ]; then
        echo "compile-kernel: note: skipping $base.comp (requires coopmat; no cooperative-matrix glslc${coopmat_glslc:+ at $coopmat_glslc}: run scripts/fetch-glslc-coopmat.sh)" >&2
        printf 'extension SPIRV {\n    static let %s: [String: String] = [:]\n}\n' "$sym" > "$out.tmp"
        mv "$out.tmp" "$out"
        exit 0
    fi
    glslc=$coopmat_glslc env=${coopmat_env:-vulkan1.3}
fi
# Each combination is "SUFFIX|DEF,DEF", e.g. "_q4_1_shared|,W_Q4_1,RED_SHARED".
combos="|"
line=$(grep -m1 '^// variants:' "$src" | sed 's|^// variants:||' || true)
for group in $line; do
    key=$(echo "${group%%=*}" | tr 'a-z' 'A-Z')
    next=""
    for c in $combos; do
        for v in $(echo "${group#*=}" | tr ',' ' '); do
            up=$(echo "$v" | tr 'a-z' 'A-Z')
            next="$next ${c%%|*}_${v}|${c#*|},${key}_${up}"
        done
    done
    combos=$next
done
mkdir -p "$work"
tmp="$out.tmp"
printf 'extension SPIRV {\n    static let %s: [String: String] = [\n' "$sym" > "$tmp"
for c in $combos; do
    name="$base${c%%|*}"
    defs=""
    for d in $(echo "${c#*|}" | tr ',' ' '); do defs="$defs -D$d=1"; done
    "$glslc" "--target-env=$env" -O -fshader-stage=compute -I "$inc" $defs "$src" -o "$work/$name.spv"
    printf '        "%s": "' "$name" >> "$tmp"
    base64 -w0 "$work/$name.spv" >> "$tmp"
    printf '",\n' >> "$tmp"
done
printf '    ]\n}\n' >> "$tmp"
mv "$tmp" "$out"
