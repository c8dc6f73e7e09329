// SPDX-License-Identifier: LGPL-2.1-or-later
#include "inbox/submit.h"

#include "report/upgrade.h"
#include "report/validate.h"

namespace kci::inbox {

void load_checkout(ingest::Loader& loader, const pipeline::CheckoutFields& checkout) {
  json::Document doc = pipeline::checkout_report({checkout});
  report::ValidationResult result = report::validate_report(doc);
  if (!result.ok()) {
    std::string what = "checkout " + checkout.id + " is not a valid KCIDB report:";
    for (const auto& e : result.errors) what += " " + e.str();
    throw InvalidInputError(what);
  }
  report::upgrade_report(doc);
  loader.load(report::from_json(doc));
}

}  // namespace kci::inbox
