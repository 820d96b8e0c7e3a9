// kernels/hmac.hpp - HMAC-SHA256 (RFC 2104) by OpenSSL's HMAC(), as a user's code calls it.
#pragma once

#include "sha256.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string_view>

namespace breakeven::examples {

/// HMAC-SHA256 under one key. Trivially copyable (the key's bytes, not an OpenSSL object): it
/// can travel to another process as bytes.
class hmac_sha256 {
 public:
  /// SHA-256's block size: a longer key is hashed first (RFC 2104 section 2).
  static constexpr std::size_t block_size = 64;

  /// A key of any length.
  template <class Byte>
  explicit hmac_sha256(std::span<const Byte> key) {
    static_assert(sizeof(Byte) == 1, "hmac_sha256 keys are bytes");
    if (key.size() > block_size) {
      unsigned int n = 0;
      if (EVP_Digest(key.data(), key.size(), key_.data(), &n, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("hmac-sha256: OpenSSL's EVP_Digest failed");
      size_ = n;
    } else {
      if (!key.empty()) std::memcpy(key_.data(), key.data(), key.size());
      size_ = key.size();
    }
  }
  /// A key given as a string.
  explicit hmac_sha256(std::string_view key) : hmac_sha256(std::span<const char>(key.data(), key.size())) {}

  /// The MAC of one message.
  template <class Byte>
  digest256 mac(std::span<const Byte> message) const {
    static_assert(sizeof(Byte) == 1, "hmac_sha256 messages are bytes");
    digest256 d{};
    unsigned int n = 0;
    if (HMAC(EVP_sha256(), key_.data(), static_cast<int>(size_), reinterpret_cast<const unsigned char*>(message.data()),
             message.size(), d.data(), &n) == nullptr ||
        n != d.size())
      throw std::runtime_error("hmac-sha256: OpenSSL's HMAC failed");
    return d;
  }
  /// The MAC of a string.
  digest256 mac(std::string_view message) const { return mac(std::span<const char>(message.data(), message.size())); }

  /// The key's bytes as HMAC uses them (hashed first when longer than a block).
  std::span<const std::uint8_t> key() const noexcept { return {key_.data(), size_}; }

 private:
  std::array<std::uint8_t, block_size> key_{};
  std::size_t size_ = 0;
};

}  // namespace breakeven::examples
