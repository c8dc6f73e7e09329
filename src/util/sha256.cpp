// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/sha256.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>
#include <vector>

#include "util/error.h"

namespace kci {

namespace {

std::string to_hex(const unsigned char* data, std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[data[i] >> 4];
    out[2 * i + 1] = kHex[data[i] & 15];
  }
  return out;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // Fetched once: EVP_sha256() makes OpenSSL 3 look the algorithm up (a
  // locked provider search) on every digest.
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (!md || EVP_Digest(data.data(), data.size(), digest, &len, md, nullptr) != 1) {
    throw Error("sha256: OpenSSL digest failed");
  }
  return to_hex(digest, len);
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(bytes)) != 1) {
    throw Error("random: OpenSSL RAND_bytes failed");
  }
  return to_hex(buf.data(), bytes);
}

}  // namespace kci
