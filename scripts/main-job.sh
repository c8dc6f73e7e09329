#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kci's main job on the embedded defaults: `kci run`, a local KernelCI on
# Debian's Linux 6.1, told as a short story.
#
#  1. The tree: Debian's linux-source-6.1 imported into git (cached), cloned
#     into $KCI_OUT/linux with its branch `master` at the import.
#  2. kci run sees the first checkout: it builds the x86_64, arm64 and
#     riscv64 boot kernels (tinyconfig + a boot fragment, gcc), boots each in
#     QEMU with the baseline plan, stores every result as KCIDB objects and
#     analyses them. All pass: that is the baseline.
#  3. Four commits arrive on master; one of them makes x86_64 kernels report
#     a critical condition at boot.
#  4. kci run sees the new head: builds and boots again; the analysis finds
#     the regression (baseline.dmesg.crit on qemu-x86_64, "failing since"),
#     bisects it over the four commits with real builds and boots, and mails
#     the reports through a real SMTP server started here (aiosmtpd, into
#     the Maildir $KCI_OUT/mail).
#  5. What happened is printed; the dashboard (kci serve, up since step 2)
#     shows it; on a terminal it stays up until you press Enter.
#
# Environment: KCI (the binary), KCI_OUT (default out/), KCI_PORT (dashboard,
# default 18080), KCI_SMTP_PORT (default 18025). Needs the packages of
# `scripts/install-deps.sh all`. A re-run starts the story again from the
# import; builds are incremental (kept in $KCI_OUT/kbuild) and go through
# ccache, so a warm re-run takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
project=$PWD
KCI=${KCI:-$project/build/src/cli/kci}
OUT=${KCI_OUT:-$project/out}
PORT=${KCI_PORT:-18080}
SMTP_PORT=${KCI_SMTP_PORT:-18025}
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
start=$(date +%s)
say() { printf '\n== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

say "1. The tree: Debian's Linux 6.1 as git"
cache=$(bash tests/kernel/prepare-linux.sh)
linux=$OUT/linux
if [ ! -d "$linux/.git" ]; then
  echo "-- cloning $cache into $linux"
  git clone -q --local --no-checkout "$cache" "$linux"
fi
git -C "$linux" checkout -q -f -B master v6.1-debian-import
git -C "$linux" clean -q -fdx
echo "   linux/master at $(git -C "$linux" describe --tags)"

# A fresh database each time: the story starts over.
db="sqlite:$OUT/kci.db"
rm -rf "$OUT/kci.db" "$OUT/kci.db"-* "$OUT/kci.db.spool" "$OUT/mail" "$OUT/artifacts"
"$KCI" db init -d "$db" >/dev/null

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
wait_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "main-job: nothing listens on 127.0.0.1:$1 ($2)" >&2
  exit 1
}

# The mail server the reports go through: Debian's aiosmtpd, delivering
# every message it accepts into a Maildir.
/usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" \
  -c aiosmtpd.handlers.Mailbox "$OUT/mail" 2>"$OUT/smtp.log" &
pids+=($!)
wait_port "$SMTP_PORT" "aiosmtpd"
# The dashboard, read-only over the same database (kci run does the work).
"$KCI" serve -d "$db" --listen "127.0.0.1:$PORT" --no-live --artifacts "$OUT/artifacts" -q \
  2>"$OUT/serve.log" &
pids+=($!)
wait_port "$PORT" "kci serve"
echo "   SMTP server on 127.0.0.1:$SMTP_PORT (Maildir $OUT/mail)"
echo "   dashboard on http://127.0.0.1:$PORT/"

run() {
  "$KCI" run -d "$db" --config config/kci.yaml --config config/demo.yaml \
    --source "$linux" --tree linux --branch master \
    --artifacts "$OUT/artifacts" --build-root "$OUT/kbuild" --incremental-builds --ccache \
    --subscriptions config/demo-subscriptions.yaml --smtp "smtp://127.0.0.1:$SMTP_PORT" \
    --notify-quiet 0 --from "kci demo <kci@localhost>" --no-log-fetch \
    --base-url "http://127.0.0.1:$PORT" --until-idle "$@"
}

say "2. kci run: the first checkout (builds x86_64, arm64, riscv64; boots them in QEMU)"
run | tee "$OUT/run-1.txt"

say "3. Four commits arrive on linux/master"
export GIT_AUTHOR_NAME="Demo Developer" GIT_AUTHOR_EMAIL="developer@localhost"
export GIT_COMMITTER_NAME="Demo Developer" GIT_COMMITTER_EMAIL="developer@localhost"
git -C "$linux" checkout -q -f master
note() {
  mkdir -p "$linux/Documentation/kci-demo"
  printf '%s\n' "$2" >"$linux/Documentation/kci-demo/$1.txt"
  git -C "$linux" add "Documentation/kci-demo/$1.txt"
  GIT_AUTHOR_DATE="$3" GIT_COMMITTER_DATE="$3" \
    git -C "$linux" commit -q -m "Documentation: kci demo: $2"
}
note notes "a note on the demo" "2026-01-02T10:00:00Z"
cat >>"$linux/arch/x86/kernel/setup.c" <<'EOF'

static int __init kci_demo_boot_check(void)
{
	pr_crit("x86: kci demo: boot clock check out of range\n");
	return 0;
}
late_initcall(kci_demo_boot_check);
EOF
git -C "$linux" add arch/x86/kernel/setup.c
GIT_AUTHOR_DATE="2026-01-02T11:00:00Z" GIT_COMMITTER_DATE="2026-01-02T11:00:00Z" \
  git -C "$linux" commit -q -F - <<'EOF'
x86/setup: check the boot clock late in boot

Signed-off-by: Demo Developer <developer@localhost>
EOF
note more "a second note" "2026-01-02T12:00:00Z"
note last "a third note" "2026-01-02T13:00:00Z"
git -C "$linux" log --oneline v6.1-debian-import..master | sed 's/^/   /'

say "4. kci run: the new head (builds, boots, finds the regression, bisects, mails)"
status=0
run --bisect | tee "$OUT/run-2.txt" || status=$?
# The scenario's new head fails a test: kci run says so with exit status 1.
if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then
  echo "main-job: kci run failed (exit $status)" >&2
  exit "$status"
fi

say "5. What happened"
echo "-- the regression and its culprit (above, from kci run); the culprit commit:"
culprit=$(sed -n 's/^bisection [0-9]*: found, culprit \([0-9a-f]*\)$/\1/p' "$OUT/run-2.txt" | head -n 1)
if [ -n "$culprit" ]; then
  git -C "$linux" log -1 --format='   %h %s (%an <%ae>)' "$culprit"
else
  echo "   none found"
fi
echo "-- mails received by the SMTP server ($OUT/mail):"
found=0
for m in "$OUT"/mail/new/* "$OUT"/mail/cur/*; do
  [ -f "$m" ] || continue
  found=$((found + 1))
  printf '   %s\n     %s\n' "$(grep -m1 '^Subject:' "$m")" "$(grep -m1 '^To:' "$m")"
done
[ "$found" -gt 0 ] || echo "   none"
echo
echo "results: $OUT (database $OUT/kci.db, logs and kernels in $OUT/artifacts)"
echo "dashboard: http://127.0.0.1:$PORT/  (regressions: http://127.0.0.1:$PORT/api/v1/regressions)"
echo "main job: done in $(($(date +%s) - start)) s"
if [ -t 0 ] && [ -t 1 ]; then
  read -r -p "The dashboard stays up until you press Enter. " _ || true
fi
if ! grep -q "baseline.dmesg.crit" "$OUT/run-2.txt"; then
  echo "main-job: the regression was not found" >&2
  exit 1
fi
if [ -z "$culprit" ]; then
  echo "main-job: the bisection found no culprit" >&2
  exit 1
fi
