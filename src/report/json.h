// SPDX-License-Identifier: LGPL-2.1-or-later
// The JSON library of the whole tree is RapidJSON (see docs/performance.md
// for the measurement behind the choice). This header is the one place that
// includes it, so its configuration macros stay the same everywhere.
#pragma once

#ifndef RAPIDJSON_HAS_STDSTRING
#define RAPIDJSON_HAS_STDSTRING 1
#endif
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <string_view>

namespace kci::json {

using Value = rapidjson::Value;
using Document = rapidjson::Document;
using Allocator = rapidjson::Document::AllocatorType;

// The string value of v as a view (JSON strings may hold NUL bytes).
inline std::string_view str(const Value& v) { return {v.GetString(), v.GetStringLength()}; }

// Appends a JSON pointer (RFC 6901) token for an object member name to path.
void append_pointer_token(std::string& path, std::string_view name);
// Appends a JSON pointer token for an array index.
void append_pointer_index(std::string& path, std::size_t index);

// Serialises v. indent == 0 gives one line; indent > 0 pretty-prints with
// that many spaces, as kcidb's tools do with --indent.
std::string write(const Value& v, int indent = 0);
void write(const Value& v, int indent, std::string& out);

}  // namespace kci::json
