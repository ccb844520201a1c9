#!/usr/bin/env bash
# Bring a fresh Debian/Ubuntu machine (run as root, or with sudo) to the point where
# `swift build` and `swift test` work. Idempotent: when everything is present it only
# checks, and takes about a second.
#
#   1. apt packages (Vulkan loader + lavapipe, glslc, protobuf-c, validation layer,
#      SPIR-V tools, Python, unzip, git, curl, xz) -- installed only if some are missing
#   2. a glslc that knows GL_KHR_cooperative_matrix, via scripts/fetch-glslc-coopmat.sh
#      (Debian trixie's, unpacked under .tools/ when the system's is too old); if that
#      fails, setup warns and goes on, and the build skips the cooperative-matrix kernels
#   3. a Swift 6 toolchain -- checked, never installed (see the hint it prints)
#   4. .venv with the Python tools the tests use (scripts/requirements.txt; with --onnx
#      also scripts/requirements-onnx.txt) -- pip runs only when those files changed
#   5. the default model, via scripts/fetch-model.sh, and Gemma 3 270M (scripts/fetch-gemma.sh)
#   6. the GPT-2 GGUF test fixtures, converted by scripts/make_gguf_gpt2.py, and the K-quant
#      LLaMA one with its numpy logits (scripts/make_kquant_llama.py), the Qwen 2/3 and
#      Llama 3 (RoPE frequency factors) ones (scripts/make_arch_ggufs.py)
#
# Usage: scripts/setup.sh [--onnx]
#   --onnx               also install onnx + onnxruntime (same as SLUICE_WITH_ONNX=1)
# Environment:
#   SLUICE_WITH_ONNX=1   as --onnx
#   SLUICE_SETUP_PYTHON  interpreter that creates .venv (default /usr/bin/python3,
#                        else python3 on PATH)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

APT_PACKAGES=(
    libvulkan-dev mesa-vulkan-drivers glslc libprotobuf-c-dev protobuf-c-compiler
    vulkan-validationlayers spirv-tools python3 python3-venv python3-pip unzip
    ca-certificates git curl xz-utils
)
VENV="$ROOT/.venv"
REQS="$ROOT/scripts/requirements.txt"
REQS_ONNX="$ROOT/scripts/requirements-onnx.txt"
SWIFT_FALLBACK_DIR="/opt/swift/usr/bin"

with_onnx="${SLUICE_WITH_ONNX:-0}"
for arg in "$@"; do
    case "$arg" in
        --onnx) with_onnx=1 ;;
        -h|--help) sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) printf 'setup: unknown argument %s (try --help)\n' "$arg" >&2; exit 2 ;;
    esac
done
[[ "$with_onnx" == 1 || "$with_onnx" == true || "$with_onnx" == yes ]] && with_onnx=1 || with_onnx=0

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }
start_ns="$(date +%s%N)"
changed=()

# MARK: 1. apt packages

missing_packages() {
    # Prints the packages of APT_PACKAGES that dpkg does not report as installed.
    local out
    out="$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${APT_PACKAGES[@]}" 2>/dev/null || true)"
    local p
    for p in "${APT_PACKAGES[@]}"; do
        grep -qx "$p installed" <<<"$out" || printf '%s\n' "$p"
    done
}

if command -v dpkg-query >/dev/null 2>&1; then
    mapfile -t missing < <(missing_packages)
    if (( ${#missing[@]} > 0 )); then
        say "installing missing apt packages: ${missing[*]}"
        SUDO=()
        if (( EUID != 0 )); then
            command -v sudo >/dev/null 2>&1 \
                || die "not root and no sudo; as root run: apt-get install ${missing[*]}"
            SUDO=(sudo)
        fi
        export DEBIAN_FRONTEND=noninteractive
        "${SUDO[@]}" apt-get update -qq \
            || die "apt-get update failed (network? sources.list?)"
        "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" \
            || die "apt-get install failed for: ${missing[*]}
  (on Ubuntu, glslc and vulkan-validationlayers are in 'universe': add-apt-repository universe)"
        mapfile -t still < <(missing_packages)
        (( ${#still[@]} == 0 )) || die "still missing after apt-get install: ${still[*]}"
        changed+=("apt: ${missing[*]}")
    fi
else
    # Not Debian/Ubuntu: we cannot install, but we can say what is needed.
    for tool in glslc python3 unzip git; do
        command -v "$tool" >/dev/null 2>&1 || die "no dpkg here, and '$tool' is missing.
  Install the equivalents of: ${APT_PACKAGES[*]}"
    done
    say "warning: no dpkg; skipped the package check (need the equivalents of: ${APT_PACKAGES[*]})"
fi

# MARK: 2. glslc with GL_KHR_cooperative_matrix
# Optional: without it the build still works, minus the cooperative-matrix kernels.

coopmat_glslc="$ROOT/.tools/glslc-coopmat/glslc"
had_coopmat_glslc=0
[[ -x "$coopmat_glslc" ]] && had_coopmat_glslc=1
if "$ROOT/scripts/fetch-glslc-coopmat.sh"; then
    (( had_coopmat_glslc )) || [[ ! -x "$coopmat_glslc" ]] || changed+=("glslc-coopmat")
else
    say "warning: scripts/fetch-glslc-coopmat.sh failed (see above); cooperative-matrix"
    say "         kernels will be skipped. Re-run it (or this script) to retry."
fi

# MARK: 3. Swift toolchain

swift_bin="$(command -v swift 2>/dev/null || true)"
if [[ -z "$swift_bin" && -x "$SWIFT_FALLBACK_DIR/swift" ]]; then
    swift_bin="$SWIFT_FALLBACK_DIR/swift"
    say "note: swift is at $swift_bin but not on PATH (make adds it); for your shell:"
    say "      export PATH=\"$SWIFT_FALLBACK_DIR:\$PATH\""
fi
if [[ -z "$swift_bin" ]]; then
    die "no Swift toolchain found (not on PATH, not in $SWIFT_FALLBACK_DIR).
  Sluice needs Swift 6. Install it from https://www.swift.org/install/linux/ -- e.g.
    curl -O https://download.swift.org/swiftly/linux/swiftly-\$(uname -m).tar.gz
    tar zxf swiftly-\$(uname -m).tar.gz && ./swiftly init
  or unpack a toolchain tarball so that $SWIFT_FALLBACK_DIR/swift exists. Then re-run."
fi
swift_version="$("$swift_bin" --version 2>&1 | sed -n 's/.*Swift version \([0-9][0-9.]*\).*/\1/p' | head -n1)"
[[ -n "$swift_version" ]] || die "could not read the version of $swift_bin ('$swift_bin --version' failed?)"
(( ${swift_version%%.*} >= 6 )) \
    || die "$swift_bin is Swift $swift_version; Sluice needs Swift 6 or newer (https://www.swift.org/install/linux/)"

# MARK: 4. Python virtual environment

boot_python="${SLUICE_SETUP_PYTHON:-}"
if [[ -z "$boot_python" ]]; then
    if [[ -x /usr/bin/python3 ]]; then boot_python=/usr/bin/python3; else boot_python=python3; fi
fi

if ! "$VENV/bin/python3" -c 'import sys' >/dev/null 2>&1 \
   || ! "$VENV/bin/python3" -m pip --version >/dev/null 2>&1; then
    [[ -e "$VENV" ]] && say "$VENV is broken; recreating it"
    rm -rf "$VENV"
    say "creating $VENV with $boot_python"
    if ! "$boot_python" -m venv "$VENV"; then
        rm -rf "$VENV"
        die "'$boot_python -m venv' failed; on Debian/Ubuntu install python3-venv"
    fi
    changed+=("venv")
fi

# pip_sync REQFILE STAMP WHAT: installs REQFILE unless STAMP holds its hash and the
# modules in WHAT import.
pip_sync() {
    local reqs="$1" stamp="$2" modules="$3" want
    [[ -f "$reqs" ]] || die "$reqs is missing"
    want="$(sha256sum "$reqs" | cut -d' ' -f1)"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] \
       && "$VENV/bin/python3" -c "import $modules" >/dev/null 2>&1; then
        return 0
    fi
    say "pip install -r ${reqs#"$ROOT"/}"
    "$VENV/bin/python3" -m pip install --disable-pip-version-check --progress-bar off -q -r "$reqs" \
        || die "pip install -r $reqs failed (see above); network, or no wheel for $("$VENV/bin/python3" -V)?"
    "$VENV/bin/python3" -c "import $modules" \
        || die "installed $reqs but 'import $modules' still fails"
    printf '%s\n' "$want" > "$stamp"
    changed+=("pip: ${reqs#"$ROOT"/}")
}

pip_sync "$REQS" "$VENV/.stamp" "numpy, gguf, tokenizers"
if (( with_onnx )); then
    pip_sync "$REQS_ONNX" "$VENV/.stamp-onnx" "onnx, onnxruntime"
fi

# MARK: 5. Default model

SLUICE_PYTHON_BOOT="$VENV/bin/python3" "$ROOT/scripts/fetch-model.sh"
SLUICE_PYTHON_BOOT="$VENV/bin/python3" "$ROOT/scripts/fetch-gemma.sh"

# MARK: 6. Test fixtures made from committed ones
# The GPT-2 GGUF fixtures are converted from the committed Hugging Face fixture with the gguf
# package (deterministic, half a second) rather than committed as model files.
FIX="$ROOT/Tests/FrontendsTests/Fixtures/hf"
if [[ ! -f "$FIX/gpt2_f32.gguf" || ! -f "$FIX/gpt2_q8_0.gguf" ]]; then
    "$VENV/bin/python3" "$ROOT/scripts/make_gguf_gpt2.py" > /dev/null \
        || die "scripts/make_gguf_gpt2.py failed to write the GPT-2 GGUF fixtures"
    changed+=("gguf fixtures")
fi
# A K-quant LLaMA GGUF (random blocks, written by gguf-py) and its logits from the numpy
# reference (scripts/reference_llama.py), deterministic, about a second.
KQ="$ROOT/Tests/EndToEndTests/Fixtures/llama_kquant"
if [[ ! -f "$KQ/llama_kquant.gguf" || ! -f "$KQ/logits.npy" || ! -f "$KQ/ids.txt" ]]; then
    "$VENV/bin/python3" "$ROOT/scripts/make_kquant_llama.py" > /dev/null \
        || die "scripts/make_kquant_llama.py failed to write the K-quant GGUF fixture"
    changed+=("k-quant fixture")
fi
QW="$ROOT/Tests/EndToEndTests/Fixtures/archs"
if [[ ! -f "$QW/qwen2.gguf" || ! -f "$QW/qwen3.gguf" || ! -f "$QW/llama3_logits.npy" || ! -f "$QW/ids.txt" ]]; then
    "$VENV/bin/python3" "$ROOT/scripts/make_arch_ggufs.py" > /dev/null \
        || die "scripts/make_arch_ggufs.py failed to write the Qwen 2/3 and Llama 3 GGUF fixtures"
    changed+=("architecture fixtures")
fi

# MARK: Done

elapsed_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
elapsed="$(printf '%d.%01ds' $((elapsed_ms / 1000)) $(( (elapsed_ms % 1000) / 100 )))"
if (( ${#changed[@]} == 0 )); then
    say "everything present (swift $swift_version, .venv, models/) in $elapsed"
else
    say "done in $elapsed (changed: $(IFS=';'; echo "${changed[*]}"); swift $swift_version)"
fi
