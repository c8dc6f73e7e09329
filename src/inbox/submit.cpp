// SPDX-License-Identifier: LGPL-2.1-or-later
#include "inbox/submit.h"

#include "report/upgrade.h"
#include "report/validate.h"

namespace kci::inbox {

void load_checkout(ingest::Loader& loader, const report::Checkout& checkout) {
  // Validated as a submission would be: the checkout comes from mail.
  json::Document doc;
  report::to_json(pipeline::checkout_report({checkout}), doc, false);
  report::ValidationResult result = report::validate_report(doc);
  if (!result.ok()) {
    std::string what = "checkout " + checkout.id.value_or("") + " is not a valid KCIDB report:";
    for (const auto& e : result.errors) what += " " + e.str();
    throw InvalidInputError(what);
  }
  report::upgrade_report(doc);
  loader.load(report::from_json(doc));
}

}  // namespace kci::inbox
