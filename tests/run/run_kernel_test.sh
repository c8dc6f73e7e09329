#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `kci run` on a real kernel: Debian's Linux 6.1 (the kernel tests' cached
# git import), one x86_64 clang boot kernel built with the real make and
# booted in QEMU, the live services and a real SMTP server (aiosmtpd).
#   1. The base commit: build PASS, boot PASS, no regression.
#   2. Three commits later (one of them makes x86 kernels report a critical
#      condition at boot): the build is incremental in the same directory,
#      baseline.dmesg.crit fails, the analysis reports the regression and
#      its mail reaches the SMTP server.
# The kernel_builds fixture runs first and leaves its objects in the shared
# ccache, which this build hits (same source path, same compiler and
# configuration as its x86_64-clang kernel).
#   run_kernel_test.sh KCI PROJECT_DIR
set -euo pipefail
kci=$(realpath "$1")
project=$(realpath "$2")
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_in() {  # FILE TEXT
  grep -qF -- "$2" "$1" || { echo "--- $1:" >&2; cat "$1" >&2; fail "'$2' not in $1"; }
}
if ! /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
  [ "${CI:-}" = true ] && fail "python3-aiosmtpd is missing (needed under CI)"
  echo "SKIP: python3-aiosmtpd is not installed"; exit 0
fi
for p in clang qemu-system-x86_64 make; do
  if ! command -v "$p" >/dev/null; then
    [ "${CI:-}" = true ] && fail "$p is missing (needed under CI)"
    echo "SKIP: $p is not installed"; exit 0
  fi
done

cache=${KCI_TEST_CACHE:-$HOME/.cache/kci-test}
linux=$("$project/tests/kernel/prepare-linux.sh")
T=$(mktemp -d /tmp/kci-run-kernel-XXXXXX)
smtp=""
base=v6.1-debian-import
# The builds check commits out in the shared source repository: one user
# at a time (as build-kernels.sh), and it is left at the base commit.
exec 8>"$cache/linux-6.1.build.lock"
flock -w 3600 8
cleanup() {
  [ -n "$smtp" ] && kill "$smtp" 2>/dev/null || true
  git -C "$linux" checkout -q --detach "$base" 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT
export CCACHE_DIR=$cache/ccache CCACHE_BASEDIR=$T CCACHE_NOHASHDIR=1

# The commits, made with plumbing (the checked-out tree is not touched);
# fixed names and dates give the same hashes on every run.
export GIT_AUTHOR_NAME="kci test" GIT_AUTHOR_EMAIL="kci-test@localhost"
export GIT_COMMITTER_NAME="kci test" GIT_COMMITTER_EMAIL="kci-test@localhost"
export GIT_AUTHOR_DATE="2026-01-03T00:00:00Z" GIT_COMMITTER_DATE="2026-01-03T00:00:00Z"
commit() {  # PARENT MESSAGE FILE < CONTENT
  local index blob tree
  index=$(mktemp)
  blob=$(git -C "$linux" hash-object -w --stdin)
  GIT_INDEX_FILE=$index git -C "$linux" read-tree "$1"
  GIT_INDEX_FILE=$index git -C "$linux" update-index --add --cacheinfo "100644,$blob,$3"
  tree=$(GIT_INDEX_FILE=$index git -C "$linux" write-tree)
  rm -f "$index"
  git -C "$linux" commit-tree "$tree" -p "$1" -m "$2"
}
good=$(git -C "$linux" rev-parse "$base^{commit}")
c1=$(echo "kci run test note" | commit "$good" "Documentation: kci run test note" \
  Documentation/kci-run-test.txt)
c2=$({ git -C "$linux" show "$c1:arch/x86/kernel/setup.c"
       printf '\nstatic int __init kci_run_test_check(void)\n{\n'
       printf '\tpr_crit("x86: kci run test: injected critical message\\n");\n'
       printf '\treturn 0;\n}\nlate_initcall(kci_run_test_check);\n'; } |
  commit "$c1" "x86/setup: kci run test: a critical message at boot" arch/x86/kernel/setup.c)
bad=$(echo "kci run test note 2" | commit "$c2" "Documentation: kci run test note 2" \
  Documentation/kci-run-test-2.txt)
git -C "$linux" update-ref refs/heads/kci-test/run "$bad"
git -C "$linux" checkout -q --detach "$good"

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
/usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$port" -c aiosmtpd.handlers.Mailbox "$T/mail" \
  2>"$T/smtp.log" &
smtp=$!
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
cat >"$T/subscriptions.yaml" <<'EOF'
subscriptions:
  - name: x86-maintainers
    tree: linux
    kinds: [test, build]
    to: ["X86 Maintainer <x86@localhost>"]
EOF

run() {  # COMMIT: kci run until idle on that commit of kci-test/run
  (cd "$T" && "$kci" run -d "$T/kci.db" --config "$project/config/kci.yaml" \
    --config "$project/tests/run/kernel.yaml" --source "$linux" --tree linux \
    --branch kci-test/run --commit "$1" --incremental-builds --ccache -j 2 \
    --build-root "$T/kbuild" --artifacts "$T/artifacts" --boot-timeout 300 \
    --subscriptions "$T/subscriptions.yaml" --smtp "smtp://127.0.0.1:$port" \
    --notify-quiet 0 --no-log-fetch --until-idle)
}

start=$(date +%s)
run "$good" >"$T/out1" 2>"$T/err1" || { cat "$T/err1" >&2; fail "run 1 exited $?"; }
t1=$(($(date +%s) - start))
expect_in "$T/out1" "kbuild: 1 (1 done/pass)"
expect_in "$T/out1" "job: 1 (1 done/pass)"
expect_in "$T/out1" "regressions: 0 active"

start=$(date +%s)
status=0
run "$bad" >"$T/out2" 2>"$T/err2" || status=$?
t2=$(($(date +%s) - start))
[ "$status" = 1 ] || { cat "$T/err2" >&2; fail "run 2 should exit 1 (a test failed), got $status"; }
expect_in "$T/out2" "kbuild: 2 (2 done/pass)"
expect_in "$T/out2" "job: 2 (1 done/fail, 1 done/pass)"
expect_in "$T/out2" "regressions: 1 active"
expect_in "$T/out2" "baseline.dmesg.crit (qemu-x86_64"
expect_in "$T/out2" "report to x86-maintainers: sent"
# The second build reused the first one's directory (incremental).
[ "$(find "$T/kbuild" -mindepth 1 -maxdepth 1 -type d | wc -l)" = 1 ] \
  || fail "expected one build directory: $(ls "$T/kbuild")"
mail=$(grep -l "^Subject: .*regression" "$T"/mail/new/* 2>/dev/null | head -n 1)
[ -n "$mail" ] || { ls -la "$T/mail/new" >&2 || true; fail "no regression mail at the SMTP server"; }
expect_in "$mail" "x86@localhost"
expect_in "$mail" "baseline.dmesg.crit"
echo "run_kernel: run 1 ${t1} s, run 2 ${t2} s (incremental build, boot, analysis, mail)"
echo "PASS"
