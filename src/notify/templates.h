// SPDX-License-Identifier: LGPL-2.1-or-later
// The mail templates (src/notify/templates/*.mustache, embedded at build
// time) rendered with kainjow mustache. HTML escaping is off: the output
// is plain text, and header safety is header.h's job, not the template's.
#pragma once

#include <string>
#include <string_view>

#include <kainjow/mustache.hpp>

namespace kci::notify {

// The embedded template `name` (file name without .mustache). Throws
// Error for an unknown name.
std::string_view template_text(std::string_view name);

// Renders template `name` with data. Lines holding only a section tag
// ({{#x}}, {{^x}}, {{/x}}, {{!...}}) leave no blank line behind, whether
// the section is rendered or not. Throws Error on a template error.
std::string render_template(std::string_view name, const kainjow::mustache::data& data);

// The template text with standalone section-tag lines joined to the
// following line (what render_template renders).
std::string strip_standalone_tags(std::string_view text);

}  // namespace kci::notify
