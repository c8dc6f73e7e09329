// SPDX-License-Identifier: LGPL-2.1-or-later
#include "client/address_policy.h"

#include <arpa/inet.h>

#include <cstring>

#include "util/error.h"

namespace kci::client {

namespace {

using Bytes = std::array<unsigned char, 16>;

// The internal ranges, as written in their RFCs.
const std::vector<Network>& internal_networks() {
  static const std::vector<Network> networks = [] {
    std::vector<Network> out;
    for (const char* text : {
             "0.0.0.0/8",       // "this network" (0.0.0.0 reaches the host itself)
             "10.0.0.0/8",      // RFC 1918
             "100.64.0.0/10",   // shared address space (CGNAT)
             "127.0.0.0/8",     // loopback
             "169.254.0.0/16",  // link-local (cloud metadata services)
             "172.16.0.0/12",   // RFC 1918
             "192.0.0.0/24",    // IETF protocol assignments
             "192.168.0.0/16",  // RFC 1918
             "198.18.0.0/15",   // benchmarking
             "224.0.0.0/4",     // multicast
             "240.0.0.0/4",     // reserved, and 255.255.255.255 broadcast
             "::/128",          // unspecified
             "::1/128",         // loopback
             "64:ff9b::/96",    // NAT64 (embeds IPv4 addresses)
             "fc00::/7",        // unique local
             "fe80::/10",       // link-local
             "ff00::/8",        // multicast
         }) {
      out.push_back(*parse_network(text));
    }
    return out;
  }();
  return networks;
}

}  // namespace

bool Network::contains(const Bytes& address) const {
  int bits = prefix;
  for (std::size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    unsigned char mask = bits >= 8 ? 0xff : static_cast<unsigned char>(0xff << (8 - bits));
    if ((address[i] & mask) != (bytes[i] & mask)) return false;
  }
  return true;
}

std::optional<Bytes> parse_address(std::string_view text) {
  std::string s(text);
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  Bytes out{};
  in_addr v4{};
  if (::inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    out[10] = out[11] = 0xff;
    std::memcpy(out.data() + 12, &v4, 4);
    return out;
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
    return out;
  }
  return std::nullopt;
}

std::optional<Network> parse_network(std::string_view text) {
  std::size_t slash = text.find('/');
  std::string_view address = text.substr(0, slash);
  std::optional<Bytes> bytes = parse_address(address);
  if (!bytes) return std::nullopt;
  bool v4 = address.find(':') == std::string_view::npos;
  Network n;
  n.bytes = *bytes;
  n.prefix = 128;
  if (slash != std::string_view::npos) {
    std::string_view digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3) return std::nullopt;
    int p = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      p = p * 10 + (c - '0');
    }
    if (p > (v4 ? 32 : 128)) return std::nullopt;
    n.prefix = v4 ? 96 + p : p;
  }
  return n;
}

bool is_internal_address(std::string_view address) {
  std::optional<Bytes> bytes = parse_address(address);
  if (!bytes) return true;
  for (const Network& n : internal_networks()) {
    if (n.contains(*bytes)) return true;
  }
  // IPv4-compatible (::a.b.c.d, deprecated) and IPv4-translated forms
  // reach IPv4 hosts by other means: internal unless allowed.
  static const Network v4_compatible = *parse_network("::/96");
  return v4_compatible.contains(*bytes);
}

AddressPolicy::AddressPolicy(const std::vector<std::string>& allowed_networks) {
  for (const std::string& text : allowed_networks) {
    std::optional<Network> n = parse_network(text);
    if (!n) {
      throw UsageError("'" + text + "' is not an address or a network (e.g. 10.0.0.0/8, ::1)");
    }
    allowed_.push_back(*n);
  }
}

bool AddressPolicy::allows(std::string_view address) const {
  std::optional<Bytes> bytes = parse_address(address);
  if (!bytes) return false;
  if (!is_internal_address(address)) return true;
  for (const Network& n : allowed_) {
    if (n.contains(*bytes)) return true;
  }
  return false;
}

}  // namespace kci::client
