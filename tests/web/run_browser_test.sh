#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# run_browser_test.sh KCI WEB_FIXTURE OUT_DIR
# Generates a database, starts `kci serve` on it and runs the Playwright
# tests (dashboard.test.mjs) in Debian's chromium. Screenshots go to
# OUT_DIR/screenshots. Without chromium or node the test is skipped (77),
# except under CI=true, where it fails.
set -eu
kci=$1
fixture=$2
out=$3
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/real-part.sh"

missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
command -v node >/dev/null 2>&1 || missing="$missing node"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ]; then
  missing_real_part "browser test: missing$missing (scripts/install-deps.sh installs them)"
fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
  (cd "$here" && npm ci --no-audit --no-fund)
fi

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

"$fixture" -d "sqlite:$work/results.db" --branches 6 --checkouts 6 --tests 8 --xss \
  --artifacts "$work/artifacts" >/dev/null
"$kci" serve -d "sqlite:$work/results.db" --listen 127.0.0.1:0 --artifacts "$work/artifacts" \
  --spool "$work/spool" 2>"$work/serve.log" &
server_pid=$!
port=""
for _ in $(seq 1 100); do
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' "$work/serve.log" | head -n 1)
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "kci serve did not start" >&2; cat "$work/serve.log" >&2; exit 1; }

mkdir -p "$out/screenshots"
status=0
KCI_URL="http://127.0.0.1:$port" SCREENSHOT_DIR="$out/screenshots" \
  node --test --test-concurrency=1 "$here/dashboard.test.mjs" || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- kci serve log (last 40 lines)" >&2
  tail -n 40 "$work/serve.log" >&2
fi
exit "$status"
