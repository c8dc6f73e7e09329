#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `--submit` of the result-producing commands, end to end: kci monitor finds
# the head of a local git repository and sends its checkout to a real
# `kci serve` on loopback; the checkout is then read back through the API.
# A wrong token makes the command fail (exit 3) and stores nothing.
#   submit_option_test.sh KCI_BINARY
set -euo pipefail
kci=$1
work=$(mktemp -d)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

git init -q -b master "$work/repo"
git -C "$work/repo" -c user.name=kci -c user.email=kci@localhost commit -q --allow-empty -m one
cat >"$work/config.yaml" <<YAML
trees:
  t:
    url: 'file://$work/repo'
build_configs:
  t:
    tree: t
    branch: 'master'
YAML

db="sqlite:$work/kci.db"
"$kci" db init -d "$db"
token=$("$kci" token add -d "$db" --origin kci | tail -n 1)
"$kci" serve -d "$db" --listen 127.0.0.1:0 -q 2>"$work/serve.log" &
server=$!
port=
for _ in $(seq 100); do
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' "$work/serve.log")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "FAIL: kci serve did not start"; cat "$work/serve.log"; exit 1; }

# A wrong token: the command fails and the checkout is not stored.
status=0
"$kci" monitor --once --config "$work/config.yaml" --state "$work/state-bad" --indent 0 \
  --submit "http://wrong@127.0.0.1:$port" >"$work/bad.json" 2>"$work/bad.err" || status=$?
[ "$status" -eq 3 ] || { echo "FAIL: wrong token gave exit $status, expected 3"; cat "$work/bad.err"; exit 1; }

"$kci" monitor --once --config "$work/config.yaml" --state "$work/state" --indent 0 \
  --submit "http://$token@127.0.0.1:$port" >"$work/checkout.json"
id=$(sed 's/.*"checkouts":\[{"id":"\([^"]*\)".*/\1/' "$work/checkout.json")
count=$(curl -sf "http://127.0.0.1:$port/api/v1/checkouts/$id" | "$kci" count)
[ "$count" = 1 ] || { echo "FAIL: checkout $id not found through the API (count '$count')"; exit 1; }
dumped=$("$kci" db dump -d "$db" --indent 0 | "$kci" count)
[ "$dumped" = 1 ] || { echo "FAIL: the store holds $dumped objects, expected 1"; exit 1; }
echo "PASS: kci monitor --submit stored $id"
