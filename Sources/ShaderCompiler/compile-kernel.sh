#!/bin/sh
# Compiles one kernel source with every variant on its "// variants:" line and writes a
# Swift file with the SPIR-V binaries as base64 strings.
# usage: compile-kernel.sh GLSLC INCLUDE_DIR SOURCE.comp OUT.swift WORK_DIR SYMBOL
set -eu
glslc=$1 inc=$2 src=$3 out=$4 work=$5 sym=$6
base=$(basename "$src" .comp)
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
    "$glslc" --target-env=vulkan1.1 -O -fshader-stage=compute -I "$inc" $defs "$src" -o "$work/$name.spv"
    printf '        "%s": "' "$name" >> "$tmp"
    base64 -w0 "$work/$name.spv" >> "$tmp"
    printf '",\n' >> "$tmp"
done
printf '    ]\n}\n' >> "$tmp"
mv "$tmp" "$out"
