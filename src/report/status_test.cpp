// SPDX-License-Identifier: LGPL-2.1-or-later
#include "report/status.h"

#include <gtest/gtest.h>

namespace kci::report {
namespace {

TEST(Status, KcidbPriorityOrder) {
  // FAIL > ERROR > MISS > PASS > DONE > SKIP, as kcidb orders them.
  EXPECT_GT(priority(Status::kFail), priority(Status::kError));
  EXPECT_GT(priority(Status::kError), priority(Status::kMiss));
  EXPECT_GT(priority(Status::kMiss), priority(Status::kPass));
  EXPECT_GT(priority(Status::kPass), priority(Status::kDone));
  EXPECT_GT(priority(Status::kDone), priority(Status::kSkip));
  EXPECT_EQ(worst(Status::kPass, Status::kMiss), Status::kMiss);
  EXPECT_EQ(worst(Status::kSkip, Status::kDone), Status::kDone);
  EXPECT_EQ(worst(Status::kError, Status::kFail), Status::kFail);
  EXPECT_EQ(worst(Status::kPass, Status::kPass), Status::kPass);
}

TEST(Status, NamesRoundTrip) {
  for (Status s : kStatuses) EXPECT_EQ(parse_status(status_name(s)), s);
  EXPECT_EQ(status_name(Status::kMiss), "MISS");
  EXPECT_EQ(parse_status("pass"), std::nullopt);
  EXPECT_EQ(parse_status(""), std::nullopt);
  EXPECT_EQ(parse_status("UNKNOWN"), std::nullopt);
}

}  // namespace
}  // namespace kci::report
