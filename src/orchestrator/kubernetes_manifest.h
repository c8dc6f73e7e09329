// SPDX-License-Identifier: LGPL-2.1-or-later
// Kubernetes Jobs for kbuild nodes (KernelCI's build farm runs its builds
// as Kubernetes Jobs). One batch/v1 Job per node: an init container fetches
// the node's commit into an emptyDir (git fetch --depth 1), the build
// container runs `kci build` on it and sends the KCIDB report to `kci
// serve` (--submit, the URL with its token from a Secret). Node values
// reach the containers as arguments and environment variables, never as
// shell text. Kubernetes retries nothing (backoffLimit 0): kci's own
// retries apply. Checked with `kubectl apply --dry-run=client`; not yet run
// against a cluster.
#pragma once

#include <string>

#include "orchestrator/node.h"

namespace kci::orchestrator {

struct KubernetesOptions {
  std::string image = "ghcr.io/kernelci/kci:latest";  // has git, kci and the toolchains
  std::string namespace_name;                         // empty: the context's
  std::string submit_secret = "kci-submit";           // Secret with key `url`: https://TOKEN@HOST
  std::string origin = "kci";
  std::string cpu = "4";
  std::string memory = "8Gi";
  int ttl_seconds_after_finished = 86400;
};

// The Job's name: "kci-kbuild-<id>-<node name>" lower-cased, other
// characters than [a-z0-9-] as '-', at most 63 characters (DNS-1123).
std::string kubernetes_job_name(const Node& node);

// The Job manifest (YAML) of a kbuild node. Throws InvalidInputError for
// another kind of node or one without commit and repository URL.
std::string kubernetes_kbuild_job(const Node& node, const KubernetesOptions& options);

}  // namespace kci::orchestrator
