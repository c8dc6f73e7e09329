// SPDX-License-Identifier: LGPL-2.1-or-later
// Renders a page's JSON document with its mustache template (which escapes
// every {{value}}) inside the common layout.
#pragma once

#include <string>

#include "report/json.h"

namespace kci::web {

// Renders templates/NAME.mustache with data converted from `page` (objects,
// lists, text; numbers as text; a "status" member gains "status_class").
// Throws Error when the template is missing or malformed.
std::string render_template(const std::string& name, const json::Value& page);

// The page inside templates/layout.mustache.
std::string render_page(const std::string& template_name, const std::string& title,
                        const std::string& base_url, const std::string& json_href,
                        const json::Value& page);

// Lower-case class name of a KCIDB status ("pass", "fail", "error" for
// ERROR and MISS, "skip", "other").
std::string status_class(std::string_view status);

}  // namespace kci::web
