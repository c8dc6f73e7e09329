#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kci logs scan from the outside: exit statuses, standard input, and bounded
# memory on a large log, a 10 MB line and binary garbage (under a virtual
# memory limit far below the input size).
#
#   logs_scan_cli.sh KCI
set -u
kci=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
check() {  # check NAME EXPECTED_STATUS ACTUAL_STATUS
  if [ "$2" -ne "$3" ]; then
    echo "FAIL: $1: exit $3, expected $2"; failures=$((failures + 1))
  else
    echo "ok: $1"
  fi
}

"$kci" logs scan --kind console "$work/missing.log" > /dev/null 2> "$work/err"
check "missing file is exit 1" 1 $?
grep -q "missing.log" "$work/err" || { echo "FAIL: message does not name the file"; failures=$((failures + 1)); }

"$kci" logs scan --kind build "$work" > /dev/null 2> "$work/err"
check "a directory is exit 1" 1 $?

"$kci" logs scan --kind kernel "$work/x" > /dev/null 2>&1
check "unknown kind is a usage error" 2 $?

printf 'nothing to see\n' | "$kci" logs scan --kind console - > "$work/out"
check "no findings is exit 0" 0 $?
[ ! -s "$work/out" ] || { echo "FAIL: output for a clean log"; failures=$((failures + 1)); }

printf '[ 1.0] WARNING: CPU: 0 PID: 1 at a.c:1 kci_fn+0x1/0x2\n' | "$kci" logs scan > "$work/out"
check "stdin by default" 0 $?
grep -q '"title":"WARNING in kci_fn"' "$work/out" || { echo "FAIL: stdin title"; failures=$((failures + 1)); }

# 512 MB of boot log with a 10 MB line, binary garbage and invalid UTF-8,
# and one report at the end, under a 256 MB address-space limit.
(
  ulimit -v 262144
  {
    python3 -c 'import sys; sys.stdout.buffer.write(b"x" * (10 << 20) + b"\n" + bytes(range(256)) * 4096 + b"\n\xc3\x28\xff\n")'
    yes '[    1.234567] virtio_blk virtio1: [vda] 2097152 512-byte logical blocks (1.07 GB/1.00 GiB)' | head -c 500000000
    printf '\n[ 9.0] kernel BUG at mm/slub.c:379!\n[ 9.0] RIP: 0010:kmem_cache_free+0x3b4/0x3c0\n'
  } | "$kci" logs scan --kind console > "$work/big.out"
)
check "512 MB log in bounded memory" 0 $?
grep -q '"title":"kernel BUG in kmem_cache_free"' "$work/big.out" || { echo "FAIL: report at the end of the big log"; failures=$((failures + 1)); }

[ "$failures" -eq 0 ]
