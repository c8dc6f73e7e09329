// SPDX-License-Identifier: LGPL-2.1-or-later
// For the orchestrator's tests only: a store on either driver (a SQLite
// file per test, or a database of its own in the throw-away PostgreSQL
// cluster) and a small pipeline configuration with two kbuild jobs and
// their boot jobs.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "orchestrator/node_store.h"
#include "pipeline/config/config.h"
#include "store/pg_test_cluster.h"
#include "store/sql.h"
#include "store/store.h"
#include "util/test_support.h"

namespace kci::orchestrator::testing {

// mainline/master: kbuild-gcc-12-x86 and kbuild-gcc-12-arm64 (jobs), each
// booted by baseline-<arch> on its QEMU platform; the arm64 build is also
// booted by a job on an x86 platform, which the scheduler must drop.
inline const char* kPipelineYaml = R"(
trees:
  mainline: {url: 'https://git.example.org/mainline.git'}
build_environments:
  gcc-12: {cc: gcc, cc_version: 12}
build_configs:
  mainline: {tree: mainline, branch: master}
runtimes:
  local: {lab_type: shell}
jobs:
  kbuild-gcc-12-x86:
    kind: kbuild
    params: {arch: x86_64, compiler: gcc-12, defconfig: defconfig}
  kbuild-gcc-12-arm64:
    kind: kbuild
    params: {arch: arm64, compiler: gcc-12, cross_compile: aarch64-linux-gnu-, defconfig: defconfig}
  baseline-x86: {kind: job}
  baseline-arm64: {kind: job}
scheduler:
  - job: kbuild-gcc-12-x86
    event: {channel: node, kind: checkout, state: available}
    runtime: {name: local}
  - job: kbuild-gcc-12-arm64
    event: {channel: node, kind: checkout, state: available}
    runtime: {name: local}
  - job: baseline-x86
    event: {channel: node, kind: kbuild, name: kbuild-gcc-12-x86, state: done, result: pass}
    runtime: {name: local}
    platforms: [qemu-x86_64]
  - job: baseline-arm64
    event: {channel: node, kind: kbuild, name: kbuild-gcc-12-arm64, state: done, result: pass}
    runtime: {name: local}
    platforms: [qemu-arm64, qemu-x86_64]
)";

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/kci-run-test-XXXXXX";
    if (mkdtemp(tmpl)) path_ = tmpl;
  }
  ~TempDir() {
    if (!path_.empty()) std::filesystem::remove_all(path_);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline pipeline::PipelineConfig write_and_load_config(const std::string& dir,
                                                      const std::string& yaml = kPipelineYaml) {
  std::string path = dir + "/pipeline.yaml";
  std::ofstream(path) << yaml;
  return pipeline::PipelineConfig::load({path});
}

// A fixture parameterised by driver: spec_ names an initialised store.
class DriverTest : public ::testing::TestWithParam<store::Driver> {
 protected:
  void SetUp() override {
    if (GetParam() == store::Driver::kPostgresql) {
      auto* cluster = store::testing::PgTestCluster::get();
      if (!cluster) {
        KCI_MISSING_REAL_PART("no PostgreSQL: " << store::testing::PgTestCluster::skip_reason());
      }
      spec_ = store::parse_database_spec(cluster->create_database());
    } else {
      spec_ = store::parse_database_spec("sqlite:" + dir_.path() + "/kci.sqlite");
    }
    store::open_store(spec_)->init();
    sql_ = store::SqlConnection::open(spec_);
    NodeStore::migrate(*sql_);
  }

  TempDir dir_;
  store::DatabaseSpec spec_;
  std::unique_ptr<store::SqlConnection> sql_;
};

inline std::string driver_name(const ::testing::TestParamInfo<store::Driver>& info) {
  return info.param == store::Driver::kSqlite ? "SQLite" : "PostgreSQL";
}

}  // namespace kci::orchestrator::testing
