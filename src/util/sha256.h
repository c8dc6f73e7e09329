// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string>
#include <string_view>

namespace kci {

// Lower-case hex SHA-256 of data (OpenSSL).
std::string sha256_hex(std::string_view data);

// Random bytes from the system's CSPRNG, as lower-case hex (2 chars a byte).
std::string random_hex(std::size_t bytes);

}  // namespace kci
