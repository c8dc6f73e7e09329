// SPDX-License-Identifier: LGPL-2.1-or-later
// Page 5, compare two checkouts A (before) and B (after) of a branch: the
// analysis categories (regression, fixed, still failing, new failure, new
// pass, appeared, disappeared, inconclusive) of their tests or builds.
// Without `a`, A is the checkout of the branch before B.
#include "analysis/queries.h"
#include "util/error.h"
#include "web/html.h"
#include "web/page.h"

namespace kci::web {

namespace {

constexpr std::size_t kItemsShown = 100;
constexpr int kChoices = 30;

const char* category_label(analysis::Category c) {
  switch (c) {
    case analysis::Category::kRegression: return "Regressions (pass to fail)";
    case analysis::Category::kFixed: return "Fixed (fail to pass)";
    case analysis::Category::kStillFailing: return "Still failing";
    case analysis::Category::kNewFailure: return "New failures (no pass before)";
    case analysis::Category::kNewPass: return "New passes";
    case analysis::Category::kAppeared: return "Appeared";
    case analysis::Category::kDisappeared: return "Disappeared";
    case analysis::Category::kInconclusive: return "Inconclusive (infrastructure error or miss)";
    case analysis::Category::kUnchanged: return "Unchanged";
  }
  return "";
}

json::Value checkout_json(PageContext& ctx, const analysis::CheckoutInfo& c) {
  json::Value o(rapidjson::kObjectType);
  ctx.set(o, "id", c.id);
  ctx.set(o, "href", ctx.object_link("checkout", c.id));
  ctx.set(o, "tree_name", c.tree_name);
  ctx.set(o, "git_repository_branch", c.git_repository_branch);
  ctx.set(o, "git_commit_hash", c.git_commit_hash);
  ctx.set(o, "describe", c.describe.empty() ? c.id : c.describe);
  ctx.set(o, "start_time", c.order_time);
  return o;
}

// The branch's checkouts before `c` (newest first), at most `limit`.
std::vector<analysis::CheckoutInfo> earlier_checkouts(PageContext& ctx,
                                                      const analysis::CheckoutInfo& c, int limit) {
  std::vector<analysis::CheckoutInfo> out;
  ctx.db.exec(
      "SELECT id, describe, order_time FROM analysis_checkouts WHERE tree_name = $1 AND "
      "git_repository_branch = $2 AND order_time < $3 AND origin = $4 AND "
      "git_repository_url = $5 ORDER BY order_time DESC LIMIT $6",
      {c.tree_name, c.git_repository_branch, c.order_time, c.origin, c.git_repository_url,
       std::to_string(limit)},
      [&](const store::SqlRow& row) {
        analysis::CheckoutInfo e;
        e.id = row.text(0);
        e.describe = row.text(1);
        e.order_time = row.text(2);
        out.push_back(std::move(e));
      });
  return out;
}

json::Value side_json(PageContext& ctx, const std::optional<analysis::CompareSide>& s,
                      analysis::Kind kind) {
  json::Value o(rapidjson::kObjectType);
  if (!s) return o;
  ctx.set(o, "id", s->id);
  ctx.set(o, "href", ctx.object_link(kind == analysis::Kind::kTest ? "test" : "build", s->id));
  ctx.set(o, "status", s->status.empty() ? std::string("(none)") : s->status);
  return o;
}

}  // namespace

std::string compare_page(PageContext& ctx) {
  auto& a = ctx.alloc();
  std::string b_id = ctx.param("b"), a_id = ctx.param("a");
  std::string kind_param = ctx.param("kind", "test");
  if (kind_param != "test" && kind_param != "build") {
    throw PageError{400, "parameter kind must be test or build"};
  }
  analysis::Kind kind = kind_param == "build" ? analysis::Kind::kBuild : analysis::Kind::kTest;
  if (b_id.empty()) throw PageError{400, "parameter b (the later checkout's id) is missing"};
  if (!table_exists(ctx, "analysis_checkouts")) {
    throw PageError{404, "The analysis has not run on this database"};
  }
  std::optional<analysis::CheckoutInfo> b = analysis::checkout_info(ctx.db, b_id);
  if (!b) throw PageError{404, "No analysed checkout with id " + b_id};
  std::vector<analysis::CheckoutInfo> earlier = earlier_checkouts(ctx, *b, kChoices);
  if (a_id.empty()) {
    if (earlier.empty()) throw PageError{404, "No checkout of this branch before " + b_id};
    a_id = earlier.front().id;
  }
  std::optional<analysis::CheckoutInfo> a_info = analysis::checkout_info(ctx.db, a_id);
  if (!a_info) throw PageError{404, "No analysed checkout with id " + a_id};

  analysis::CompareResult result;
  try {
    result = analysis::compare(ctx.db, a_id, b_id, kind);
  } catch (const InvalidInputError& e) {
    throw PageError{404, e.what()};
  }

  json::Value categories(rapidjson::kArrayType);
  for (analysis::Category c : analysis::kListedCategories) {
    auto it = result.items.find(c);
    std::size_t n = it == result.items.end() ? 0 : it->second.size();
    json::Value cat(rapidjson::kObjectType);
    ctx.set(cat, "name", analysis::category_name(c));
    ctx.set(cat, "label", category_label(c));
    cat.AddMember("count", static_cast<std::int64_t>(n), a);
    cat.AddMember("more", n > kItemsShown, a);
    cat.AddMember("has_items", n > 0, a);
    json::Value items(rapidjson::kArrayType);
    for (std::size_t i = 0; i < n && i < kItemsShown; ++i) {
      const analysis::CompareItem& item = it->second[i];
      json::Value o(rapidjson::kObjectType);
      ctx.set(o, "path",
              kind == analysis::Kind::kTest ? item.identity.path : std::string("(build)"));
      ctx.set(o, "platform", item.identity.platform);
      ctx.set(o, "architecture", item.identity.architecture);
      ctx.set(o, "config_name", item.identity.config_name);
      ctx.set(o, "compiler", item.identity.compiler);
      o.AddMember("a", side_json(ctx, item.a, kind), a);
      o.AddMember("b", side_json(ctx, item.b, kind), a);
      items.PushBack(o, a);
    }
    cat.AddMember("items", items, a);
    categories.PushBack(cat, a);
  }

  json::Value choices(rapidjson::kArrayType);
  for (const analysis::CheckoutInfo& e : earlier) {
    json::Value o(rapidjson::kObjectType);
    ctx.set(o, "id", e.id);
    ctx.set(o, "label",
            (e.describe.empty() ? e.id : e.describe) + " (" +
                e.order_time.substr(0, std::min<std::size_t>(10, e.order_time.size())) + ")");
    o.AddMember("selected", e.id == a_id, a);
    choices.PushBack(o, a);
  }
  ctx.doc.AddMember("a", checkout_json(ctx, *a_info), a);
  ctx.doc.AddMember("b", checkout_json(ctx, *b), a);
  ctx.set(ctx.doc, "kind_name", kind_param);
  ctx.doc.AddMember("builds", kind == analysis::Kind::kBuild, a);
  ctx.doc.AddMember("categories", categories, a);
  ctx.doc.AddMember("choices", choices, a);
  ctx.set(ctx.doc, "other_kind_href",
          ctx.link("/compare?a=" + url_encode(a_id) + "&b=" + url_encode(b_id) +
                   "&kind=" + (kind == analysis::Kind::kTest ? "build" : "test")));
  return "Compare " + (a_info->describe.empty() ? a_id : a_info->describe) + " with " +
         (b->describe.empty() ? b_id : b->describe);
}

}  // namespace kci::web
