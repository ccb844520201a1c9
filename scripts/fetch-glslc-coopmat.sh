#!/usr/bin/env bash
# Make a GLSL compiler that understands GL_KHR_cooperative_matrix available to the build,
# at .tools/glslc-coopmat/glslc, without touching the system outside the repository.
#
# Debian bookworm's glslc (shaderc 2023.2) rejects `#extension GL_KHR_cooperative_matrix`;
# Debian trixie's (shaderc 2025.2) accepts it. So, in order:
#   1. if the system glslc (or $SLUICE_GLSLC) compiles a small cooperative-matrix shader,
#      nothing is downloaded: .tools/glslc-coopmat/glslc becomes a link to it;
#   2. if .tools/glslc-coopmat/glslc is there and compiles it, do nothing (fast);
#   3. else download trixie's glslc, libshaderc1, libc6, libstdc++6 and libgcc-s1 (amd64)
#      from deb.debian.org, checking InRelease with gpgv against the trixie archive keys
#      (when /usr/share/keyrings has them; else only the sha256 sums, with a warning), the
#      Packages index and every .deb by sha256; unpack them with `dpkg-deb -x` under
#      .tools/glslc-coopmat/root, and write the wrapper .tools/glslc-coopmat/glslc, which
#      starts that glslc with trixie's own dynamic loader and libraries. It then has to
#      compile the test shader, or nothing is installed.
# Only x86_64 is handled; elsewhere it says so and exits 0 (the build then skips the
# cooperative-matrix kernels).
#
# Usage: scripts/fetch-glslc-coopmat.sh
# Environment:
#   SLUICE_GLSLC          the glslc to try first (default: glslc on PATH)
#   SLUICE_DEBIAN_MIRROR  Debian mirror (default http://deb.debian.org/debian)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

SUITE="trixie"
MIRROR="${SLUICE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
MIRROR="${MIRROR%/}"
PACKAGES=(glslc libshaderc1 libc6 libstdc++6 libgcc-s1)
TOOLS="$ROOT/.tools"
DEST="$TOOLS/glslc-coopmat"
WRAPPER="$DEST/glslc"
KEYRING_GLOB="/usr/share/keyrings/debian-archive-${SUITE}-*.gpg"

say() { printf 'fetch-glslc-coopmat: %s\n' "$*"; }
die() { printf 'fetch-glslc-coopmat: error: %s\n' "$*" >&2; exit 1; }

case "${1:-}" in
    "") ;;
    -h|--help) sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
esac

# The smallest useful use of the extension: one 16x16x16 f16 multiply-add per subgroup.
TEST_SHADER='#version 450
#extension GL_KHR_cooperative_matrix : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
layout(local_size_x = 32) in;
layout(std430, binding = 0) readonly buffer A { float16_t a[]; };
layout(std430, binding = 1) writeonly buffer C { float c[]; };
void main() {
    coopmat<float16_t, gl_ScopeSubgroup, 16, 16, gl_MatrixUseA> ma;
    coopmat<float16_t, gl_ScopeSubgroup, 16, 16, gl_MatrixUseB> mb;
    coopmat<float, gl_ScopeSubgroup, 16, 16, gl_MatrixUseAccumulator> mc =
        coopmat<float, gl_ScopeSubgroup, 16, 16, gl_MatrixUseAccumulator>(0.0);
    coopMatLoad(ma, a, 0, 16, gl_CooperativeMatrixLayoutRowMajor);
    coopMatLoad(mb, a, 256, 16, gl_CooperativeMatrixLayoutRowMajor);
    mc = coopMatMulAdd(ma, mb, mc);
    coopMatStore(mc, c, 0, 16, gl_CooperativeMatrixLayoutRowMajor);
}
'

# compiles_coopmat GLSLC: 0 if GLSLC compiles TEST_SHADER for Vulkan 1.3. Quiet; the
# compiler's messages go to $last_log when it is set.
compiles_coopmat() {
    local g="$1"
    [[ -n "$g" && -x "$g" ]] || return 1
    printf '%s' "$TEST_SHADER" \
        | "$g" --target-env=vulkan1.3 -fshader-stage=compute -o /dev/null - \
            >"${last_log:-/dev/null}" 2>&1
}

# MARK: 1. A capable system compiler needs no download: the wrapper path links to it.

system_glslc="${SLUICE_GLSLC:-$(command -v glslc 2>/dev/null || true)}"
if compiles_coopmat "$system_glslc"; then
    if [[ "$(readlink "$WRAPPER" 2>/dev/null || true)" != "$system_glslc" ]]; then
        mkdir -p "$DEST"
        rm -rf "$WRAPPER"
        ln -s "$system_glslc" "$WRAPPER"
        say "$system_glslc compiles GL_KHR_cooperative_matrix; linked $WRAPPER to it"
    fi
    exit 0
fi

# MARK: 2. Already installed.

if compiles_coopmat "$WRAPPER"; then
    exit 0
fi

# MARK: 3. Download and unpack trixie's glslc.

arch="$(uname -m)"
if [[ "$arch" != x86_64 ]]; then
    say "no cooperative-matrix glslc for $arch (only x86_64 is handled); not installing one"
    exit 0
fi
for tool in dpkg-deb xz sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' is needed (Debian/Ubuntu: dpkg, xz-utils, coreutils)"
done
if command -v curl >/dev/null 2>&1; then
    download() { curl -fsSL --retry 2 --connect-timeout 20 -o "$2" "$1"; }
elif command -v wget >/dev/null 2>&1; then
    download() { wget -q --tries=3 --timeout=20 -O "$2" "$1"; }
else
    die "neither curl nor wget is installed (apt-get install curl)"
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/sluice-glslc.XXXXXX")"
stage=""
cleanup() { rm -rf "$tmp"; [[ -z "$stage" ]] || rm -rf "$stage"; }
trap cleanup EXIT

# fetch URL FILE: downloads URL to FILE or dies naming the URL.
fetch() {
    download "$1" "$2" || die "download failed: $1"
    [[ -s "$2" ]] || die "download of $1 is empty"
}

# check_sha256 FILE WANT WHAT: dies unless FILE's sha256 is WANT.
check_sha256() {
    local got
    got="$(sha256sum "$1" | cut -d' ' -f1)"
    [[ "$got" == "$2" ]] || die "sha256 mismatch for $3
  expected $2
  got      $got"
}

say "fetching glslc from Debian $SUITE ($MIRROR)"
release_url="$MIRROR/dists/$SUITE/InRelease"
fetch "$release_url" "$tmp/InRelease"

keyrings=()
for k in $KEYRING_GLOB; do [[ -f "$k" ]] && keyrings+=(--keyring "$k"); done
if (( ${#keyrings[@]} > 0 )) && command -v gpgv >/dev/null 2>&1; then
    # InRelease carries several signatures, some by keys we may not have (older releases'
    # automatic keys): like apt, accept it when one is good and valid and none is bad.
    gpgv --status-fd 3 "${keyrings[@]}" --output "$tmp/Release" "$tmp/InRelease" \
        3>"$tmp/gpgv.status" >/dev/null 2>"$tmp/gpgv.log" || true
    if grep -qE '^\[GNUPG:\] (BADSIG|EXPKEYSIG|REVKEYSIG)' "$tmp/gpgv.status" \
       || ! grep -q '^\[GNUPG:\] VALIDSIG' "$tmp/gpgv.status" || [[ ! -s "$tmp/Release" ]]; then
        cat "$tmp/gpgv.log" >&2
        die "$release_url: no good signature by a key in $KEYRING_GLOB (see gpgv's messages above)"
    fi
    signer="$(sed -n 's/^\[GNUPG:\] GOODSIG [0-9A-F]* //p' "$tmp/gpgv.status" | head -n1)"
    say "InRelease signed by: $signer"
else
    if (( ${#keyrings[@]} == 0 )); then
        why="no Debian $SUITE archive key ($KEYRING_GLOB; package debian-archive-keyring)"
    else
        why="gpgv is not installed"
    fi
    say "warning: $why: NOT verifying the signature of $release_url;"
    say "         checking only the sha256 sums it lists (guards against corruption, not tampering)"
    # The clear-signed text: after the armor header's blank line, up to the signature.
    sed -e '1,/^$/d' -e '/^-----BEGIN PGP SIGNATURE-----$/,$d' "$tmp/InRelease" \
        | sed 's/^- //' > "$tmp/Release"
fi
grep -q "^Codename: $SUITE\$" "$tmp/Release" || die "$release_url is not the $SUITE release file"

index="main/binary-amd64/Packages.xz"
index_sha="$(awk -v f="$index" '
    /^[^ ]/ { in_sha = ($1 == "SHA256:") ; next }
    in_sha && $3 == f { print $1; exit }' "$tmp/Release")"
[[ -n "$index_sha" ]] || die "$release_url lists no SHA256 for $index"
# By hash when the archive offers it, so a mirror update between the two downloads
# cannot give us a newer index than the one InRelease vouches for.
if grep -q '^Acquire-By-Hash: yes$' "$tmp/Release"; then
    index_url="$MIRROR/dists/$SUITE/main/binary-amd64/by-hash/SHA256/$index_sha"
    download "$index_url" "$tmp/Packages.xz" || { index_url="$MIRROR/dists/$SUITE/$index"; fetch "$index_url" "$tmp/Packages.xz"; }
else
    index_url="$MIRROR/dists/$SUITE/$index"
    fetch "$index_url" "$tmp/Packages.xz"
fi
check_sha256 "$tmp/Packages.xz" "$index_sha" "$index_url"
xz -dc "$tmp/Packages.xz" > "$tmp/Packages" || die "could not decompress $index_url"

# Filename, SHA256 and Version of each package (architecture amd64 or all).
awk -v want="$(IFS=' '; echo "${PACKAGES[*]}")" '
    BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) need[w[i]] = 1 }
    /^$/ {
        if (pkg in need && !(pkg in done) && (arch == "amd64" || arch == "all") && file != "" && sha != "") {
            print pkg, ver, file, sha; done[pkg] = 1
        }
        pkg = ""; arch = ""; file = ""; sha = ""; ver = ""; next
    }
    /^Package: /      { pkg = $2 }
    /^Architecture: / { arch = $2 }
    /^Version: /      { ver = $2 }
    /^Filename: /     { file = $2 }
    /^SHA256: /       { sha = $2 }
    END {
        if (pkg in need && !(pkg in done) && (arch == "amd64" || arch == "all") && file != "" && sha != "")
            print pkg, ver, file, sha
    }' "$tmp/Packages" > "$tmp/wanted"
for p in "${PACKAGES[@]}"; do
    awk -v p="$p" '$1 == p { found = 1 } END { exit !found }' "$tmp/wanted" \
        || die "$p (amd64) is not in $index_url"
done

mkdir -p "$TOOLS"
stage="$(mktemp -d "$TOOLS/.glslc-coopmat.partial.XXXXXX")"
chmod 755 "$stage"   # mktemp made it 0700; builds may run as another user
mkdir -p "$stage/root"
while read -r pkg ver file sha; do
    url="$MIRROR/$file"
    deb="$tmp/${file##*/}"
    fetch "$url" "$deb"
    check_sha256 "$deb" "$sha" "$url"
    dpkg-deb -x "$deb" "$stage/root" || die "dpkg-deb -x failed for $url"
    printf '%s %s %s\n' "$pkg" "$ver" "$sha" >> "$stage/PACKAGES"
    say "  $pkg $ver"
done < "$tmp/wanted"

# Paths relative to the wrapper's own (resolved) location, so the checkout can move.
cat > "$stage/glslc" <<'EOF'
#!/bin/sh
# glslc from Debian trixie, run with trixie's own dynamic loader and libraries from root/.
# Written by scripts/fetch-glslc-coopmat.sh; PACKAGES lists what root/ holds.
here=$(dirname "$(readlink -f "$0")")
lib="$here/root/usr/lib/x86_64-linux-gnu"
exec "$lib/ld-linux-x86-64.so.2" --library-path "$lib" --argv0 "$0" "$here/root/usr/bin/glslc" "$@"
EOF
chmod 755 "$stage/glslc"

last_log="$tmp/test.log"
if ! compiles_coopmat "$stage/glslc"; then
    cat "$last_log" >&2
    die "the downloaded glslc does not compile the cooperative-matrix test shader (output above); nothing installed"
fi

rm -rf "$DEST"
mv "$stage" "$DEST"
stage=""
say "installed $WRAPPER ($("$WRAPPER" --version | head -n1))"
