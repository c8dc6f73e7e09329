// SPDX-License-Identifier: LGPL-2.1-or-later
// Which network addresses kci may connect to on behalf of data it was sent
// (a log_url in a report): public unicast addresses, plus the networks the
// operator allows. Loopback, private, link-local, unique-local, shared
// (CGNAT), unspecified, multicast and broadcast addresses are internal and
// refused unless allowed (docs/security.md, "Log fetching").
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kci::client {

// An address range: IPv4 addresses are kept as IPv4-mapped IPv6.
struct Network {
  std::array<unsigned char, 16> bytes{};
  int prefix = 128;  // bits, of the IPv6 form
  bool contains(const std::array<unsigned char, 16>& address) const;
};

// "10.0.0.0/8", "127.0.0.1", "::1", "fe80::/10"; nullopt if not one.
std::optional<Network> parse_network(std::string_view text);
// A numeric address as 16 bytes (IPv4 mapped); nullopt if not numeric.
std::optional<std::array<unsigned char, 16>> parse_address(std::string_view text);
// Whether a numeric address is internal (see above). Not numeric: true.
bool is_internal_address(std::string_view address);

class AddressPolicy {
 public:
  AddressPolicy() = default;
  // Throws UsageError for a network that does not parse.
  explicit AddressPolicy(const std::vector<std::string>& allowed_networks);
  // Public addresses, and internal ones inside an allowed network.
  bool allows(std::string_view address) const;

 private:
  std::vector<Network> allowed_;
};

}  // namespace kci::client
