#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Kubernetes Jobs of kci run's builds, checked offline: `kci run --workers
# 0` schedules a checkout's kbuild nodes, `kci kubernetes manifests` writes
# their Jobs, and `kubectl create --dry-run=client --validate=false` (Debian's
# kubernetes-client) reads every manifest as a batch/v1 Job without any
# cluster (an empty KUBECONFIG pointing nowhere: nothing may be contacted).
# Not yet run against a cluster.
# Usage: kubernetes_test.sh KCI PIPELINE_YAML
set -eu
KCI=$1
PIPELINE=$2
. "$(dirname "$0")/../lib/real-part.sh"
command -v kubectl >/dev/null 2>&1 || missing_real_part "kubectl (kubernetes-client) is not installed"
T=$(mktemp -d /tmp/kci-k8s-XXXXXX)
RUN=""
cleanup() {
  if [ -n "$RUN" ]; then kill -9 "$RUN" 2>/dev/null || true; wait "$RUN" 2>/dev/null || true; fi
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

DB="sqlite:$T/kci.sqlite"
"$KCI" run --config "$PIPELINE" --db "$DB" --runtime instant --workers 0 --tree mainline \
  --branch master --commit 0123456789abcdef0123456789abcdef01234567 -q >/dev/null 2>&1 &
RUN=$!
i=0
until "$KCI" run --status --db "$DB" 2>/dev/null | grep -q '^kbuild: 2 (2 available)'; do
  i=$((i + 1)); [ $i -lt 200 ] || fail "no kbuild node scheduled"; sleep 0.05
done
kill "$RUN"; wait "$RUN" 2>/dev/null || true; RUN=""

"$KCI" kubernetes manifests --db "$DB" --out "$T/jobs" --namespace kci >"$T/list" \
  || fail "kci kubernetes manifests exited $?"
[ "$(wc -l <"$T/list")" = 2 ] || { cat "$T/list" >&2; fail "expected 2 manifests"; }

# Offline: kubectl needs the server's API discovery even for a client-side
# dry run; it is given from a discovery cache (batch/v1 Jobs, v1 Secrets),
# and the server address is one nothing listens on, so any request fails.
# `kubectl apply --dry-run=client` also GETs the live object (create or
# patch?), which needs a cluster: offline, `kubectl create --dry-run=client`
# reads and maps the manifests the same way. --validate=false: the OpenAPI
# schema also comes from the server.
C="$T/cache/discovery/127.0.0.1_9"
mkdir -p "$C/batch/v1" "$C/v1"
cat >"$C/servergroups.json" <<'JSON'
{"kind":"APIGroupList","apiVersion":"v1","groups":[{"name":"","versions":[{"groupVersion":"v1","version":"v1"}],"preferredVersion":{"groupVersion":"v1","version":"v1"}},{"name":"batch","versions":[{"groupVersion":"batch/v1","version":"v1"}],"preferredVersion":{"groupVersion":"batch/v1","version":"v1"}}]}
JSON
cat >"$C/batch/v1/serverresources.json" <<'JSON'
{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"batch/v1","resources":[{"name":"jobs","singularName":"job","namespaced":true,"kind":"Job","verbs":["create","delete","get","list","patch","update","watch"]}]}
JSON
cat >"$C/v1/serverresources.json" <<'JSON'
{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"v1","resources":[{"name":"secrets","singularName":"secret","namespaced":true,"kind":"Secret","verbs":["create","get"]}]}
JSON
printf 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n' >"$T/kubeconfig"
kube() {
  KUBECONFIG="$T/kubeconfig" kubectl --cache-dir="$T/cache" --server=https://127.0.0.1:9 \
    --token=offline --request-timeout=5s "$@" </dev/null
}
kube create --dry-run=client --validate=false -f "$T/jobs" -o name >"$T/applied" \
  2>"$T/kubectl.err" || { cat "$T/kubectl.err" >&2; fail "kubectl refused the manifests"; }
grep -q '^job.batch/kci-kbuild-[0-9]*-kbuild-gcc-12-x86$' "$T/applied" \
  || { cat "$T/applied" >&2; fail "the x86 Job is not in kubectl's answer"; }
grep -q '^job.batch/kci-kbuild-[0-9]*-kbuild-gcc-12-arm64$' "$T/applied" \
  || { cat "$T/applied" >&2; fail "the arm64 Job is not in kubectl's answer"; }
# What kubectl read back: namespace, restart policy, the secret reference.
kube create --dry-run=client --validate=false -f "$T/jobs" -o jsonpath='{.metadata.namespace} {.spec.template.spec.restartPolicy} {.spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name}{"\n"}' \
  >"$T/fields" 2>"$T/kubectl.err" || { cat "$T/kubectl.err" >&2; fail "kubectl -o jsonpath"; }
[ "$(sort -u "$T/fields")" = "kci Never kci-submit" ] || { cat "$T/fields" >&2; fail "unexpected fields"; }
# The check can fail: a kind the API does not have, and broken YAML.
mkdir -p "$T/bad"
sed 's/^kind: Job$/kind: Jobs/' "$(ls "$T"/jobs/*.yaml | head -n 1)" >"$T/bad/kind.yaml"
if kube create --dry-run=client --validate=false -f "$T/bad/kind.yaml" >/dev/null 2>&1; then
  fail "kubectl accepted an unknown kind"
fi
printf 'apiVersion: batch/v1\nkind: Job\nmetadata: [\n' >"$T/bad/yaml.yaml"
if kube create --dry-run=client --validate=false -f "$T/bad/yaml.yaml" >/dev/null 2>&1; then
  fail "kubectl accepted broken YAML"
fi
echo "PASS"
