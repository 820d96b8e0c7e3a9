// kernels/blake2b.hpp - BLAKE2b (RFC 7693) with a digest of 1 to 64 bytes and an optional key,
// incremental and usable in constant expressions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string_view>

namespace breakeven::examples {

namespace detail {
constexpr std::uint64_t rotr64(std::uint64_t x, int n) noexcept { return (x >> n) | (x << (64 - n)); }

template <class Byte>
constexpr std::uint64_t load_le64(const Byte* p) noexcept {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<std::uint8_t>(p[i]);
  return v;
}

inline constexpr std::array<std::uint64_t, 8> blake2b_iv{
    0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
    0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179};

inline constexpr std::array<std::array<std::uint8_t, 16>, 10> blake2b_sigma{{
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
}};

/// One application of the compression function F to a 128-byte block; `counter` is the
/// number of bytes hashed so far, this block included.
template <class Byte>
constexpr void blake2b_compress(std::array<std::uint64_t, 8>& state, const Byte* block, std::uint64_t counter,
                                bool last) noexcept {
  std::array<std::uint64_t, 16> m{};
  for (std::size_t i = 0; i < 16; ++i) m[i] = load_le64(block + 8 * i);
  std::array<std::uint64_t, 16> v{};
  for (std::size_t i = 0; i < 8; ++i) {
    v[i] = state[i];
    v[i + 8] = blake2b_iv[i];
  }
  v[12] ^= counter;  // the counter's high word stays 0: messages below 2^64 bytes
  if (last) v[14] = ~v[14];
  const auto g = [&v](std::size_t a, std::size_t b, std::size_t c, std::size_t d, std::uint64_t x,
                      std::uint64_t y) {
    v[a] = v[a] + v[b] + x;
    v[d] = rotr64(v[d] ^ v[a], 32);
    v[c] = v[c] + v[d];
    v[b] = rotr64(v[b] ^ v[c], 24);
    v[a] = v[a] + v[b] + y;
    v[d] = rotr64(v[d] ^ v[a], 16);
    v[c] = v[c] + v[d];
    v[b] = rotr64(v[b] ^ v[c], 63);
  };
  for (std::size_t r = 0; r < 12; ++r) {
    const auto& s = blake2b_sigma[r % 10];
    g(0, 4, 8, 12, m[s[0]], m[s[1]]);
    g(1, 5, 9, 13, m[s[2]], m[s[3]]);
    g(2, 6, 10, 14, m[s[4]], m[s[5]]);
    g(3, 7, 11, 15, m[s[6]], m[s[7]]);
    g(0, 5, 10, 15, m[s[8]], m[s[9]]);
    g(1, 6, 11, 12, m[s[10]], m[s[11]]);
    g(2, 7, 8, 13, m[s[12]], m[s[13]]);
    g(3, 4, 9, 14, m[s[14]], m[s[15]]);
  }
  for (std::size_t i = 0; i < 8; ++i) state[i] ^= v[i] ^ v[i + 8];
}

}  // namespace detail

/// Incremental BLAKE2b with an N-byte digest: `update` any number of times, then `finish` once.
template <std::size_t N>
class basic_blake2b {
  static_assert(N >= 1 && N <= 64, "BLAKE2b digests are 1 to 64 bytes");

 public:
  static constexpr std::size_t block_size = 128;
  static constexpr std::size_t digest_size = N;
  static constexpr std::size_t max_key_size = 64;
  using digest_type = std::array<std::uint8_t, N>;

  /// Unkeyed hashing.
  constexpr basic_blake2b() noexcept { init(0); }

  /// Keyed hashing (a MAC); throws std::invalid_argument for a key over 64 bytes.
  template <class Byte>
  constexpr explicit basic_blake2b(std::span<const Byte> key) {
    if (key.size() > max_key_size) throw std::invalid_argument("blake2b: the key is longer than 64 bytes");
    init(key.size());
    if (!key.empty()) {
      for (std::size_t i = 0; i < key.size(); ++i) block_[i] = static_cast<std::uint8_t>(key[i]);
      fill_ = block_size;  // the padded key is the first block
    }
  }

  /// Absorbs bytes (any byte-like element type).
  template <class Byte>
  constexpr basic_blake2b& update(std::span<const Byte> data) noexcept {
    static_assert(sizeof(Byte) == 1, "blake2b::update takes bytes");
    const Byte* p = data.data();
    std::size_t n = data.size();
    // The last block is compressed by finish() with the final flag: a full buffer is only
    // compressed once more data arrives, and whole blocks are read in place while more follow.
    while (n != 0) {
      if (fill_ == block_size) {
        counter_ += block_size;
        detail::blake2b_compress(h_, block_.data(), counter_, false);
        fill_ = 0;
      }
      for (; fill_ == 0 && n > block_size; n -= block_size, p += block_size) {
        counter_ += block_size;
        detail::blake2b_compress(h_, p, counter_, false);
      }
      for (; n != 0 && fill_ != block_size; --n) block_[fill_++] = static_cast<std::uint8_t>(*p++);
    }
    return *this;
  }
  /// Absorbs the bytes of a string.
  constexpr basic_blake2b& update(std::string_view s) noexcept {
    return update(std::span<const char>(s.data(), s.size()));
  }

  /// Compresses the last block and returns the digest. The object must not be updated afterwards.
  constexpr digest_type finish() noexcept {
    counter_ += fill_;
    for (std::size_t i = fill_; i < block_size; ++i) block_[i] = 0;
    detail::blake2b_compress(h_, block_.data(), counter_, true);
    digest_type out{};
    for (std::size_t i = 0; i < N; ++i) out[i] = static_cast<std::uint8_t>(h_[i / 8] >> (8 * (i % 8)));
    return out;
  }

  /// The digest of one message.
  template <class Byte>
  static constexpr digest_type hash(std::span<const Byte> data) noexcept {
    return basic_blake2b{}.update(data).finish();
  }
  /// The digest of a string.
  static constexpr digest_type hash(std::string_view s) noexcept { return basic_blake2b{}.update(s).finish(); }

 private:
  constexpr void init(std::size_t key_size) noexcept {
    h_ = detail::blake2b_iv;
    h_[0] ^= 0x01010000u ^ (static_cast<std::uint64_t>(key_size) << 8) ^ static_cast<std::uint64_t>(N);
  }

  std::array<std::uint64_t, 8> h_{};
  std::array<std::uint8_t, block_size> block_{};
  std::size_t fill_ = 0;
  std::uint64_t counter_ = 0;
};

/// BLAKE2b-256: a 32-byte digest.
using blake2b_256 = basic_blake2b<32>;
/// BLAKE2b-512: a 64-byte digest.
using blake2b_512 = basic_blake2b<64>;

}  // namespace breakeven::examples
