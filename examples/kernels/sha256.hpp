// kernels/sha256.hpp - SHA-256 (FIPS 180-4), incremental and usable in constant expressions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace breakeven::examples {

/// A 256-bit digest.
using digest256 = std::array<std::uint8_t, 32>;

namespace detail {
/// Rotates a 32-bit word right.
constexpr std::uint32_t rotr32(std::uint32_t x, int n) noexcept { return (x >> n) | (x << (32 - n)); }

/// Reads a big-endian 32-bit word from any byte-like type (char, unsigned char, std::byte).
template <class Byte>
constexpr std::uint32_t load_be32(const Byte* p) noexcept {
  return (std::uint32_t{static_cast<std::uint8_t>(p[0])} << 24) |
         (std::uint32_t{static_cast<std::uint8_t>(p[1])} << 16) |
         (std::uint32_t{static_cast<std::uint8_t>(p[2])} << 8) | std::uint32_t{static_cast<std::uint8_t>(p[3])};
}

inline constexpr std::array<std::uint32_t, 64> sha256_k{
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

/// One application of the compression function to a 64-byte block.
template <class Byte>
constexpr void sha256_compress(std::array<std::uint32_t, 8>& state, const Byte* block) noexcept {
  std::array<std::uint32_t, 64> w{};
  for (std::size_t i = 0; i < 16; ++i) w[i] = load_be32(block + 4 * i);
  for (std::size_t i = 16; i < 64; ++i) {
    const std::uint32_t s0 = rotr32(w[i - 15], 7) ^ rotr32(w[i - 15], 18) ^ (w[i - 15] >> 3);
    const std::uint32_t s1 = rotr32(w[i - 2], 17) ^ rotr32(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  std::uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
  std::uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
  for (std::size_t i = 0; i < 64; ++i) {
    const std::uint32_t t1 = h + (rotr32(e, 6) ^ rotr32(e, 11) ^ rotr32(e, 25)) + ((e & f) ^ (~e & g)) +
                             sha256_k[i] + w[i];
    const std::uint32_t t2 = (rotr32(a, 2) ^ rotr32(a, 13) ^ rotr32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  state[0] += a;
  state[1] += b;
  state[2] += c;
  state[3] += d;
  state[4] += e;
  state[5] += f;
  state[6] += g;
  state[7] += h;
}

}  // namespace detail

/// Incremental SHA-256: `update` any number of times, then `finish` once.
class sha256 {
 public:
  static constexpr std::size_t block_size = 64;
  static constexpr std::size_t digest_size = 32;

  /// Absorbs bytes (any byte-like element type).
  template <class Byte>
  constexpr sha256& update(std::span<const Byte> data) noexcept {
    static_assert(sizeof(Byte) == 1, "sha256::update takes bytes");
    const Byte* p = data.data();
    std::size_t n = data.size();
    length_ += n;
    if (fill_ != 0) {
      while (n != 0 && fill_ != block_size) {
        block_[fill_++] = static_cast<std::uint8_t>(*p++);
        --n;
      }
      if (fill_ != block_size) return *this;
      detail::sha256_compress(h_, block_.data());
      fill_ = 0;
    }
    for (; n >= block_size; n -= block_size, p += block_size) detail::sha256_compress(h_, p);
    while (n-- != 0) block_[fill_++] = static_cast<std::uint8_t>(*p++);
    return *this;
  }
  /// Absorbs the bytes of a string.
  constexpr sha256& update(std::string_view s) noexcept { return update(std::span<const char>(s.data(), s.size())); }

  /// Pads, and returns the digest. The object must not be updated afterwards.
  constexpr digest256 finish() noexcept {
    const std::uint64_t bits = length_ * 8;
    std::array<std::uint8_t, block_size + 8> pad{};
    pad[0] = 0x80;
    const std::size_t pad_len = (fill_ < 56 ? 56 - fill_ : 120 - fill_);
    for (int i = 0; i < 8; ++i) pad[pad_len + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(bits >> (56 - 8 * i));
    update(std::span<const std::uint8_t>(pad.data(), pad_len + 8));
    digest256 out{};
    for (std::size_t i = 0; i < 8; ++i)
      for (std::size_t j = 0; j < 4; ++j) out[4 * i + j] = static_cast<std::uint8_t>(h_[i] >> (24 - 8 * j));
    return out;
  }

  /// The digest of one message.
  template <class Byte>
  static constexpr digest256 hash(std::span<const Byte> data) noexcept {
    return sha256{}.update(data).finish();
  }
  /// The digest of a string.
  static constexpr digest256 hash(std::string_view s) noexcept { return sha256{}.update(s).finish(); }

 private:
  std::array<std::uint32_t, 8> h_{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::array<std::uint8_t, block_size> block_{};
  std::size_t fill_ = 0;
  std::uint64_t length_ = 0;
};

}  // namespace breakeven::examples
