// kernels/hmac.hpp - HMAC-SHA256 (RFC 2104), with the key's inner and outer states computed
// once so that signing many messages under one key hashes each message only.
#pragma once

#include "sha256.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace breakeven::examples {

/// HMAC-SHA256 under one key. Trivially copyable: it can travel to another process as bytes.
class hmac_sha256 {
 public:
  /// A key of any length: longer than a block, it is hashed first (RFC 2104 section 2).
  template <class Byte>
  constexpr explicit hmac_sha256(std::span<const Byte> key) noexcept {
    static_assert(sizeof(Byte) == 1, "hmac_sha256 keys are bytes");
    std::array<std::uint8_t, sha256::block_size> k{};
    if (key.size() > sha256::block_size) {
      const digest256 d = sha256::hash(key);
      for (std::size_t i = 0; i < d.size(); ++i) k[i] = d[i];
    } else {
      for (std::size_t i = 0; i < key.size(); ++i) k[i] = static_cast<std::uint8_t>(key[i]);
    }
    std::array<std::uint8_t, sha256::block_size> pad{};
    for (std::size_t i = 0; i < pad.size(); ++i) pad[i] = static_cast<std::uint8_t>(k[i] ^ 0x36);
    inner_.update(std::span<const std::uint8_t>(pad));
    for (std::size_t i = 0; i < pad.size(); ++i) pad[i] = static_cast<std::uint8_t>(k[i] ^ 0x5c);
    outer_.update(std::span<const std::uint8_t>(pad));
  }
  /// A key given as a string.
  constexpr explicit hmac_sha256(std::string_view key) noexcept
      : hmac_sha256(std::span<const char>(key.data(), key.size())) {}

  /// The MAC of one message.
  template <class Byte>
  constexpr digest256 mac(std::span<const Byte> message) const noexcept {
    sha256 in = inner_;
    const digest256 inner_digest = in.update(message).finish();
    sha256 out = outer_;
    return out.update(std::span<const std::uint8_t>(inner_digest)).finish();
  }
  /// The MAC of a string.
  constexpr digest256 mac(std::string_view message) const noexcept {
    return mac(std::span<const char>(message.data(), message.size()));
  }

 private:
  sha256 inner_{};
  sha256 outer_{};
};

}  // namespace breakeven::examples
