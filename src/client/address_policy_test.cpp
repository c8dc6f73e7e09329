// SPDX-License-Identifier: LGPL-2.1-or-later
#include "client/address_policy.h"

#include <gtest/gtest.h>

#include "util/error.h"

namespace kci::client {
namespace {

TEST(AddressPolicy, InternalAddressesAreRefusedByDefault) {
  AddressPolicy policy;
  for (const char* internal : {"127.0.0.1",   "127.1.2.3",        "0.0.0.0",
                               "10.1.2.3",    "172.16.0.1",       "172.31.255.255",
                               "192.168.1.1", "169.254.169.254",  "100.64.0.1",
                               "224.0.0.1",   "255.255.255.255",  "::1",
                               "::",          "fe80::1",          "fd00::1",
                               "ff02::1",     "::ffff:127.0.0.1", "::ffff:10.0.0.1",
                               "::127.0.0.1", "64:ff9b::a00:1",   "[::1]",
                               "localhost",   "not-an-address",   ""}) {
    EXPECT_FALSE(policy.allows(internal)) << internal;
    EXPECT_TRUE(is_internal_address(internal)) << internal;
  }
  for (const char* external : {"8.8.8.8", "172.32.0.1", "192.0.2.1", "1.1.1.1", "2001:db8::1",
                               "2606:4700::1111", "::ffff:8.8.8.8"}) {
    EXPECT_TRUE(policy.allows(external)) << external;
  }
}

TEST(AddressPolicy, TheOperatorAllowsNetworks) {
  AddressPolicy policy({"127.0.0.1", "10.0.0.0/8", "fd00::/8"});
  EXPECT_TRUE(policy.allows("127.0.0.1"));
  EXPECT_TRUE(policy.allows("::ffff:127.0.0.1"));
  EXPECT_FALSE(policy.allows("127.0.0.2"));  // a single address, not 127/8
  EXPECT_TRUE(policy.allows("10.200.0.1"));
  EXPECT_TRUE(policy.allows("fd12::1"));
  EXPECT_FALSE(policy.allows("fe80::1"));
  EXPECT_FALSE(policy.allows("169.254.169.254"));
  EXPECT_THROW(AddressPolicy({"10.0.0.0/33"}), UsageError);
  EXPECT_THROW(AddressPolicy({"example.org"}), UsageError);
  EXPECT_THROW(AddressPolicy({"10.0.0.0/"}), UsageError);
}

TEST(AddressPolicy, NetworkPrefixes) {
  std::optional<Network> n = parse_network("172.16.0.0/12");
  ASSERT_TRUE(n);
  EXPECT_TRUE(n->contains(*parse_address("172.20.1.1")));
  EXPECT_FALSE(n->contains(*parse_address("172.32.0.0")));
  n = parse_network("fe80::/10");
  ASSERT_TRUE(n);
  EXPECT_TRUE(n->contains(*parse_address("febf::1")));
  EXPECT_FALSE(n->contains(*parse_address("fec0::1")));
}

}  // namespace
}  // namespace kci::client
