#!/bin/sh
# Rebuilds tinyconfig+x86_64-boot+CONFIG_KUNIT=y for x86_64 with gcc-12 the way kci build did.
# Usage: reproducer.sh [SOURCE_DIR [BUILD_DIR]]
set -eu
SRC=${1:-/src/linux}
B=${2:-$PWD/build}
mkdir -p "$B"
B=$(cd "$B" && pwd)
cd "$SRC"
git checkout --detach 1234567890abcdef1234567890abcdef12345678
export KBUILD_BUILD_HOST=kci
export KBUILD_BUILD_TIMESTAMP='Thu, 1 Jan 2026 00:00:00 +0000'
export LC_ALL=C
make O="$B" HOSTCC=gcc-12 CC=gcc-12 tinyconfig
cat > "$B/kernelci.config" <<'KCI_FRAGMENT_END'
# x86_64-boot (config:x86_64-boot)
CONFIG_TTY=y
# CONFIG_KUNIT=y (inline)
CONFIG_KUNIT=y
KCI_FRAGMENT_END
scripts/kconfig/merge_config.sh -m -O "$B" "$B/.config" "$B/kernelci.config"
make O="$B" HOSTCC=gcc-12 CC=gcc-12 olddefconfig
make O="$B" -j2 HOSTCC=gcc-12 CC=gcc-12 bzImage
make O="$B" -j2 HOSTCC=gcc-12 CC=gcc-12 modules
