// SPDX-License-Identifier: LGPL-2.1-or-later
#include "store/sqlite/wal_checkpointer.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "report/model.h"
#include "store/store.h"

namespace kci::store {
namespace {

namespace fs = std::filesystem;

// A load's pages reach the database file (not only its WAL) without the
// store being closed and below SQLite's automatic checkpoint size: only
// the checkpointer thread copies them there.
TEST(WalCheckpointer, LoadedPagesReachTheDatabaseFileWhileTheStoreIsOpen) {
  char tmpl[] = "/tmp/kci-wal-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const fs::path dir = tmpl;
  const fs::path db = dir / "kci.db";
  {
    std::unique_ptr<Store> store = open_store("sqlite:" + db.string());
    store->init();
    report::Report r;
    for (int i = 0; i < 2000; ++i) {
      report::Test& t = r.tests.emplace_back();
      t.id = "o:t" + std::to_string(i);
      t.build_id = "o:b" + std::to_string(i % 10);
      t.origin = "o";
      t.path = "suite.case" + std::to_string(i);
      t.status = "PASS";
    }
    const auto before = fs::file_size(db);
    store->load(std::move(r));
    const fs::path wal = db.string() + "-wal";
    ASSERT_TRUE(fs::exists(wal));
    // Well under SQLite's automatic checkpoint (1,000 pages), so without
    // the checkpointer the file would not grow before the store closes.
    ASSERT_LT(fs::file_size(wal), 1000u * 4096u);
    bool grew = false;
    for (int tries = 0; tries < 200 && !grew; ++tries) {
      grew = fs::file_size(db) > before;
      if (!grew) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    EXPECT_TRUE(grew) << "the database file stayed at " << before << " bytes";
    QueryIds ids;
    ids.tests = {"o:t0", "o:t1999"};
    EXPECT_EQ(store->query(ids, {}).tests.size(), 2u);
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace kci::store
