// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/source/kcidb_checkout.h"

#include <gtest/gtest.h>

#include "report/json.h"
#include "report/validate.h"

namespace kci::pipeline {
namespace {

// What KCIDB would reject goes to misc, and reads back from there.
TEST(KcidbCheckout, OnlyHttpsUrlsAreGitRepositoryUrls) {
  auto as_json = [](const report::Checkout& c) {
    json::Document doc;
    report::to_json(checkout_report({c}), doc, false);
    for (const auto& e : report::validate_report(doc).errors) ADD_FAILURE() << e.str();
    json::Document object;
    object.CopyFrom(doc["checkouts"][0], object.GetAllocator());
    return object;
  };
  report::Checkout https;
  https.id = "kci:x";
  https.origin = "kci";
  set_repository_url(https, "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git");
  json::Document h = as_json(https);
  EXPECT_TRUE(h.HasMember("git_repository_url"));
  EXPECT_FALSE(h.HasMember("misc"));
  report::Checkout local = https;
  local.git_repository_url.reset();
  set_repository_url(local, "/srv/linux");
  json::Document l = as_json(local);
  EXPECT_FALSE(l.HasMember("git_repository_url"));
  EXPECT_EQ(json::str(l["misc"]["git_repository_url"]), "/srv/linux");
  EXPECT_EQ(repository_url(local), "/srv/linux");
  report::Checkout odd = local;
  set_message_id(odd, "no-at-sign");
  set_commit_message(odd, std::string("caf\xE9 \xC3\xA9"));  // latin-1 e-acute, then UTF-8 one
  json::Document o = as_json(odd);
  EXPECT_FALSE(o.HasMember("message_id"));
  EXPECT_EQ(json::str(o["misc"]["message_id"]), "no-at-sign");
  EXPECT_EQ(message_id(odd), "no-at-sign");
  EXPECT_EQ(json::str(o["git_commit_message"]), "caf\xEF\xBF\xBD \xC3\xA9");
  // A later, well-formed Message-ID replaces the odd one everywhere.
  set_message_id(odd, "series@example.org");
  EXPECT_EQ(odd.message_id, "series@example.org");
  EXPECT_EQ(misc_string(odd, "message_id"), "");
  EXPECT_EQ(misc_string(odd, "git_repository_url"), "/srv/linux");
  report::Checkout cut = https;
  set_log_excerpt(cut, std::string(20000, 'x') + "end");
  EXPECT_EQ(as_json(cut)["log_excerpt"].GetStringLength(), 16384u);
  EXPECT_TRUE(cut.log_excerpt->ends_with("end"));
  set_contacts(cut, {"a@example.org", "b@example.org"});
  set_misc(cut, "list", "netdev");
  EXPECT_EQ(contacts(cut), (std::vector<std::string>{"a@example.org", "b@example.org"}));
  EXPECT_EQ(misc_string(cut, "list"), "netdev");
  set_patchset_files(cut, {{"0001.patch", "file:///p/0001.patch"}});
  EXPECT_EQ(
      patchset_files(cut),
      (std::vector<std::pair<std::string, std::string>>{{"0001.patch", "file:///p/0001.patch"}}));
}

}  // namespace
}  // namespace kci::pipeline
