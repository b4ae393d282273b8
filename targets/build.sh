#!/bin/sh
# Rebuild every capos-conform target ELF reproducibly.
#
#   targets/build.sh [OUTDIR]        default OUTDIR: targets/elf
#
# Toolchains: gcc + GNU ld, clang + lld, rustc nightly (rustup) with x86_64-unknown-capos.json
# (#![no_core], rust-lld). Missing Debian packages are installed with apt-get (only if missing;
# set CAPOS_NO_APT=1 to skip). A toolchain that is still missing (clang + lld, rustup nightly)
# is skipped with a message; into the committed targets/elf only a complete build is written,
# so a partial rebuild never drops committed ELFs from the manifest.
# Output does not depend on the clone's path: everything is compiled from targets/ with
# relative paths, -ffile-prefix-map / --remap-path-prefix, no build id, no timestamps.
# OUTDIR/manifest.json lists name, program, toolchain, version, flags, sha256 and size.
set -eu
export LC_ALL=C SOURCE_DATE_EPOCH=0 ZERO_AR_DATE=1
cd "$(dirname "$0")"
T=$(pwd)
OUT=${1:-elf}
case "$OUT" in /*) ;; *) OUT="$T/$OUT" ;; esac
mkdir -p "$OUT"
COMMITTED=0
[ "$(cd "$OUT" && pwd)" = "$T/elf" ] && COMMITTED=1
OBJ=$(mktemp -d)
trap 'rm -rf "$OBJ"' EXIT

missing=""
command -v gcc >/dev/null 2>&1 || missing="$missing gcc"
command -v ld.bfd >/dev/null 2>&1 || missing="$missing binutils"
command -v clang >/dev/null 2>&1 || missing="$missing clang"
command -v ld.lld >/dev/null 2>&1 || missing="$missing lld"
command -v sha256sum >/dev/null 2>&1 || missing="$missing coreutils"
if [ -n "$missing" ] && [ "${CAPOS_NO_APT:-0}" != 1 ]; then
  echo "build.sh: installing$missing" >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >&2; } || echo "build.sh: could not install$missing" >&2
fi
command -v gcc >/dev/null 2>&1 && command -v ld.bfd >/dev/null 2>&1 || { echo "build.sh: gcc and GNU ld are required" >&2; exit 1; }
CLANG_OK=1
if ! command -v clang >/dev/null 2>&1 || ! command -v ld.lld >/dev/null 2>&1; then
  CLANG_OK=0
  echo "build.sh: clang/lld not installed; skipping the clang ELFs" >&2
fi

PROGRAMS_C="tls-probe fs-probe go-contract-probe agent"
PROGRAMS_RUST="tls-probe fs-probe go-contract-probe agent"

COMMON="-O2 -std=gnu11 -Wall -Wextra -Werror -ffreestanding -fno-builtin -nostdlib -static -fno-pic -ftls-model=local-exec \
-fno-stack-protector -fno-asynchronous-unwind-tables -fno-unwind-tables -fcf-protection=none -g0 -Irt/c"
# Path-dependent flags are passed as single quoted words (the clone path may contain spaces).
PREFIX_C="-ffile-prefix-map=$T=."
PREFIX_RS="--remap-path-prefix=$T=."
GCC_FLAGS="$COMMON -no-pie -fno-tree-loop-distribute-patterns -Wl,--build-id=none -Wl,-z,norelro -Wl,-z,noexecstack -Wl,-T,capos.ld"
CLANG_FLAGS="--target=x86_64-unknown-none-elf $COMMON -fuse-ld=lld -Wl,--build-id=none -Wl,-z,norelro -Wl,-T,capos.ld"
RUST_FLAGS="-Z unstable-options --target x86_64-unknown-capos.json --edition 2024 -C opt-level=2 -C panic=abort \
-C debuginfo=0 -C strip=none -C codegen-units=1 -C overflow-checks=off -C debug-assertions=off -C link-arg=-Tcapos.ld -C link-arg=--build-id=none \
-C link-arg=-znorelro --crate-type bin"

GCC_VERSION=$(gcc -dumpfullversion 2>/dev/null || gcc -dumpversion)
GLD_VERSION=$(ld.bfd --version | head -1 | sed 's/.* //')
if [ "$CLANG_OK" = 1 ]; then
  CLANG_VERSION=$(clang --version | head -1 | sed 's/.*version \([0-9.]*\).*/\1/')
  LLD_VERSION=$(ld.lld --version | sed 's/.*LLD \([0-9.]*\).*/\1/')
fi
RUST_OK=0
if command -v rustc >/dev/null 2>&1 && rustc +nightly --version >/dev/null 2>&1; then
  RUST_OK=1
  RUST_VERSION=$(rustc +nightly --version | sed 's/^rustc //')
else
  echo "build.sh: rustup nightly not installed; skipping the Rust ELFs" >&2
fi

ENTRIES=""
add_entry() { # name program toolchain version flags
  f="$OUT/$1"
  sha=$(sha256sum "$f" | cut -d' ' -f1)
  size=$(wc -c <"$f" | tr -d ' ')
  flags=$(printf '%s' "$5" | sed "s|$T|<targets>|g; s/\\\\/\\\\\\\\/g; s/\"/\\\\\"/g" | tr -s ' ')
  e=$(printf '    {"name": "%s", "program": "%s", "toolchain": "%s", "version": "%s", "flags": "%s", "sha256": "%s", "size": %s}' \
    "$1" "$2" "$3" "$4" "$flags" "$sha" "$size")
  if [ -z "$ENTRIES" ]; then ENTRIES="$e"; else ENTRIES="$ENTRIES,
$e"; fi
}

for p in $PROGRAMS_C; do
  [ -f "programs/$p/main.c" ] || continue
  # shellcheck disable=SC2086
  gcc $GCC_FLAGS "$PREFIX_C" -o "$OUT/$p.gcc" rt/c/capos_rt.c "programs/$p/main.c"
  add_entry "$p.gcc" "$p" "gcc+ld.bfd" "gcc $GCC_VERSION, GNU ld $GLD_VERSION" "gcc $GCC_FLAGS $PREFIX_C rt/c/capos_rt.c programs/$p/main.c"
  [ "$CLANG_OK" = 1 ] || continue
  # shellcheck disable=SC2086
  clang $CLANG_FLAGS "$PREFIX_C" -o "$OUT/$p.clang" rt/c/capos_rt.c "programs/$p/main.c"
  add_entry "$p.clang" "$p" "clang+lld" "clang $CLANG_VERSION, LLD $LLD_VERSION" "clang $CLANG_FLAGS $PREFIX_C rt/c/capos_rt.c programs/$p/main.c"
done

if [ "$RUST_OK" = 1 ]; then
  for p in $PROGRAMS_RUST; do
    [ -f "programs/$p/main.rs" ] || continue
    # shellcheck disable=SC2086
    rustc +nightly $RUST_FLAGS "$PREFIX_RS" --crate-name "$(echo "$p" | tr - _)" -o "$OUT/$p.rust" "programs/$p/main.rs"
    add_entry "$p.rust" "$p" "rustc+rust-lld" "rustc $RUST_VERSION" "rustc +nightly $RUST_FLAGS $PREFIX_RS --crate-name $(echo "$p" | tr - _) programs/$p/main.rs"
  done
fi

if [ "$COMMITTED" = 1 ] && { [ "$CLANG_OK" = 0 ] || [ "$RUST_OK" = 0 ]; }; then
  echo "build.sh: not rewriting targets/elf/manifest.json from a partial build; install the missing toolchains" >&2
  exit 1
fi
printf '{\n  "generatedBy": "targets/build.sh",\n  "elfs": [\n%s\n  ]\n}\n' "$ENTRIES" >"$OUT/manifest.json"
echo "build.sh: wrote $(grep -c '"name"' "$OUT/manifest.json") ELFs to $OUT" >&2
