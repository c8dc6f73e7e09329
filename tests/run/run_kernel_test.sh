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
#   3. Patch series from a mailing list (issue 19): a public-inbox archive
#      made here holds a 2-patch series with a cover letter and base-commit:
#      (the base commit of run 1; its second patch adds a critical message
#      at boot, in init/main.c) and a patch that does not apply. kci run
#      with a lists: section builds the series in place (incremental, the
#      same build directory), boots it, and answers both threads at the
#      SMTP server: the series' reply (In-Reply-To its cover letter) counts
#      what passed and names the regression against the base; the other
#      gets its one "could not apply".
#   4. (run between 2 and 3) kci run --forever --bisect bisects run 2's
#      regression to its culprit with real builds and boots, is stopped by
#      SIGTERM in the middle and restarted, mails the culprit's author.
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
pid=""
cleanup() {
  # A kci run --forever left by a failure: SIGTERM stops its bisection and
  # puts the tree back.
  if [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; then
    for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    # Killed -9 mid-bisection: its leftovers, not for the next user of
    # the shared repository to find.
    gd=$(git -C "$linux" rev-parse --absolute-git-dir)
    if grep -qx "pid $pid" "$gd/kci-bisect.state" 2>/dev/null; then
      git -C "$linux" bisect reset >/dev/null 2>&1 || true
      git -C "$linux" reset -q --hard || true
      rm -f "$gd/kci-bisect.state"
    fi
  fi
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

# 4 (before the series, whose regression would be bisected too). kci run
# --forever --bisect on run 2's database: idle at once (its checkout is
# known), it bisects run 2's regression (good..bad, 3 commits) with real
# builds (their own directory, BUILD_ROOT/bisect) and boots, while it keeps
# watching the branch. SIGTERM in the middle of the bisection stops it
# within seconds with the tree put back and the bisection queued again; a
# restart bisects it from the start to the culprit (c2), stores the issue,
# mails the culprit's author, bisects nothing twice and stops on SIGTERM.
start=$(date +%s)
forever() {  # LOG: kci run --forever --bisect in the background, its pid in $pid
  (cd "$T" && exec "$kci" run -d "$T/kci.db" --config "$project/config/kci.yaml" \
    --config "$project/tests/run/kernel.yaml" --source "$linux" --tree linux \
    --branch kci-test/run --commit "$bad" --ccache -j 2 --build-root "$T/bisect-root" \
    --artifacts "$T/artifacts" --boot-timeout 300 --subscriptions "$T/subscriptions.yaml" \
    --smtp "smtp://127.0.0.1:$port" --notify-quiet 0 --no-log-fetch --live-poll 1 \
    --forever --watch 2 --bisect) >"$1.out" 2>"$1.err" &
  pid=$!
}
wait_for() {  # FILE TEXT SECONDS
  local i
  for i in $(seq "$3"); do
    grep -qF -- "$2" "$1" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$1" >&2; fail "kci run exited before '$2' in $1"; }
    sleep 1
  done
  cat "$1" >&2; fail "no '$2' in $1 after $3 s"
}
stop_within() {  # SECONDS LOG: SIGTERM, the exit awaited; the exit status in $status
  local t0=$(date +%s) i
  kill -TERM "$pid"
  for i in $(seq $(($1 * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    tail -n 40 "$2" >&2
    fail "kci run still running $1 s after SIGTERM"
  fi
  status=0; wait "$pid" || status=$?
  stopped_in=$(($(date +%s) - t0))
}
where() { echo "$(git -C "$linux" rev-parse HEAD) $(git -C "$linux" symbolic-ref -q HEAD || echo detached)"; }
before=$(where)
tree_is_back() {  # the tree as run 2 left it, no bisection in progress
  [ "$(where)" = "$before" ] || fail "the tree is at $(where), not $before"
  gd=$(git -C "$linux" rev-parse --absolute-git-dir)
  [ ! -e "$gd/BISECT_START" ] || fail "git bisect left in progress"
  [ ! -e "$gd/kci-bisect.state" ] || fail "kci-bisect.state left behind"
}
forever "$T/bisect1"
wait_for "$T/bisect1.err" "bisect: bisection 1 (linux baseline.dmesg.crit on qemu-x86_64" 120
sleep 20  # into the first step's build
stop_within 30 "$T/bisect1.err"
t4a=$stopped_in
expect_in "$T/bisect1.err" "bisection 1 (linux baseline.dmesg.crit on qemu-x86_64, ${good:0:12}..${bad:0:12}): interrupted, queued again"
expect_in "$T/bisect1.err" "kci run: interrupted"
tree_is_back
forever "$T/bisect2"
wait_for "$T/bisect2.err" "): found ${c2:0:12}" 1500
wait_for "$T/bisect2.out" "bisection 1: found, culprit $c2" 60
for _ in $(seq 120); do
  mail=$(grep -l "x86/setup: kci run test: a critical message at boot" "$T"/mail/new/* \
    2>/dev/null | head -n 1 || true)
  [ -n "$mail" ] && break
  sleep 1
done
[ -n "$mail" ] || { cat "$T/bisect2.err" >&2; fail "no bisection mail at the SMTP server"; }
expect_in "$mail" "kci-test@localhost"
expect_in "$mail" "${c2:0:12}"
sleep 5  # a few idle scans more: nothing is bisected twice
stop_within 30 "$T/bisect2.err"
t4b=$stopped_in
[ "$(grep -c "): started" "$T/bisect2.err")" = 1 ] || { cat "$T/bisect2.err" >&2; fail "a bisection started twice"; }
tree_is_back
t4=$(($(date +%s) - start))

# 3. The series, written with format-patch from commits made here (fixed
# dates: the same patches on every run) and posted to a list archive.
start=$(date +%s)
s1=$({ git -C "$linux" show "$good:init/main.c"
       printf '\n/* kci run series test: patch 1 */\n'; } |
  commit "$good" "init: kci run series test: a comment" init/main.c)
s2=$({ git -C "$linux" show "$s1:init/main.c"
       printf '\nstatic int __init kci_series_test_check(void)\n{\n'
       printf '\tpr_crit("init: kci run series test: injected critical message\\n");\n'
       printf '\treturn 0;\n}\nlate_initcall(kci_series_test_check);\n'; } |
  commit "$s1" "init: kci run series test: a critical message at boot" init/main.c)
# A patch on a file the base does not have (run 2's note): does not apply.
na=$(echo "kci run test note, changed" | commit "$c1" "Documentation: change the kci run note" \
  Documentation/kci-run-test.txt)
git -C "$linux" format-patch -q --cover-letter --base="$good" --thread=shallow \
  --from="Patch Author <author@localhost>" --to="Test List <kci-list@localhost>" \
  -o "$T/series" "$good..$s2"
sed -i -e 's/\*\*\* SUBJECT HERE \*\*\*/init: kci run series test/' \
  -e 's/\*\*\* BLURB HERE \*\*\*/Two patches to init\/main.c./' "$T/series/0000-cover-letter.patch"
git -C "$linux" format-patch -q --thread --from="Other Author <other@localhost>" \
  --to="Test List <kci-list@localhost>" -o "$T/refused" -1 "$na"
# base-commit: names run 1's commit, which the repository has.
sed -i "s/^-- \$/base-commit: $good\n\n&/" "$T"/refused/0001-*.patch
cover_id=$(sed -n 's/^Message-Id: <\(.*\)>$/\1/Ip' "$T/series/0000-cover-letter.patch" | head -n 1)
refused_id=$(sed -n 's/^Message-Id: <\(.*\)>$/\1/Ip' "$T"/refused/0001-*.patch | head -n 1)
[ -n "$cover_id" ] && [ -n "$refused_id" ] || fail "format-patch wrote no Message-Id"
"$kci" inbox import --archive "$T/list" "$T"/series/*.patch "$T"/refused/*.patch 2>/dev/null \
  || fail "kci inbox import"
cat >"$T/lists.yaml" <<EOF
lists:
  kci-test:
    archive: '$T/list'
    targets:
      - {tree: linux, branch: 'kci-test/run', repo: '$linux', base_commit: true}
EOF
status=0
(cd "$T" && "$kci" run -d "$T/kci.db" --config "$project/config/kci.yaml" \
  --config "$project/tests/run/kernel.yaml" --config "$T/lists.yaml" \
  --inbox-state "$T/inbox" --incremental-builds --ccache -j 2 \
  --build-root "$T/kbuild" --artifacts "$T/artifacts" --boot-timeout 300 \
  --subscriptions "$T/subscriptions.yaml" --smtp "smtp://127.0.0.1:$port" \
  --notify-quiet 0 --no-log-fetch --until-idle) >"$T/out3" 2>"$T/err3" || status=$?
t3=$(($(date +%s) - start))
[ "$status" = 1 ] || { cat "$T/err3" >&2; fail "run 3 should exit 1 (the series' boot test fails), got $status"; }
expect_in "$T/err3" "lists: 2 new series, 1 checkouts submitted"
expect_in "$T/err3" "lists: 2 replies to series queued"
expect_in "$T/out3" "kbuild: 3 (3 done/pass)"
expect_in "$T/out3" "job: 3 (2 done/fail, 1 done/pass)"
[ "$(find "$T/kbuild" -mindepth 1 -maxdepth 1 -type d | wc -l)" = 1 ] \
  || fail "the series' build should reuse the build directory: $(ls "$T/kbuild")"
reply=$(grep -l "^In-Reply-To: <$cover_id>" "$T"/mail/new/* 2>/dev/null || true)
[ "$(echo "$reply" | grep -c .)" = 1 ] \
  || { ls -la "$T/mail/new" >&2; fail "expected one reply to the series' cover letter, got: $reply"; }
expect_in "$reply" "Subject: Re: [PATCH 0/2] init: kci run series test"
expect_in "$reply" "kci tested this series (v1, 2 patches) on"
expect_in "$reply" "linux/kci-test/run at ${good:0:12}"
expect_in "$reply" "builds: 1 PASS"
expect_in "$reply" "Regressions against the base (${good:0:12}):"
expect_in "$reply" "baseline.dmesg.crit"
expect_in "$reply" "author@localhost"
refusal=$(grep -l "^In-Reply-To: <$refused_id>" "$T"/mail/new/* 2>/dev/null || true)
[ "$(echo "$refusal" | grep -c .)" = 1 ] \
  || { ls -la "$T/mail/new" >&2; fail "expected one reply to the refused patch, got: $refusal"; }
expect_in "$refusal" "kci could not apply this series"
expect_in "$refusal" "other@localhost"

echo "run_kernel: run 1 ${t1} s, run 2 ${t2} s (incremental build, boot, analysis, mail)," \
  "series ${t3} s (archive, apply, incremental build, boot, analysis, replies)," \
  "--forever --bisect ${t4} s (stopped mid-bisection in ${t4a} s, bisected, mailed, stopped in ${t4b} s)"
echo "PASS"
