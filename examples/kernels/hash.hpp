// kernels/hash.hpp - hashing kernels: SHA-256 (OpenSSL's, as a user's kernel calls it) and
// BLAKE2b-256 of a byte buffer (the Python multiprocessing guide's "Hash (SHA256)" and
// "hash_blake2b" operations).
#pragma once

#include "blake2b.hpp"
#include "sha256.hpp"

#include <breakeven/traits.hpp>

#include <openssl/evp.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace breakeven::examples {

/// A byte buffer: one item of the hashing kernels.
using buffer = std::vector<std::uint8_t>;

/// SHA-256 through OpenSSL's EVP interface (libcrypto): what the hashing kernel calls. The
/// constexpr `sha256` of sha256.hpp stays for compile-time workloads and cross-checks.
struct openssl_sha256 {
  static digest256 hash(std::span<const std::uint8_t> bytes) {
    digest256 d{};
    unsigned int n = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), d.data(), &n, EVP_sha256(), nullptr) != 1 || n != d.size())
      throw std::runtime_error("sha256: OpenSSL's EVP_Digest failed");
    return d;
  }
};

/// What the hashing kernels share: a buffer in, a 256-bit digest out, cost linear in the
/// buffer's size, no state outside the call. `Hash` is a hash class with a static `hash(span)`.
template <class Hash>
struct buffer_hash {
  using input_type = buffer;
  using output_type = digest256;
  /// The item size the kernels' `cost` was measured at.
  static constexpr std::size_t representative_bytes = 1024;
  static constexpr std::size_t bytes_in(const buffer& b) noexcept { return b.size(); }
  static constexpr std::size_t bytes_out = sizeof(digest256);
  static constexpr breakeven::bound bound = breakeven::bound::cpu;
  // Linear in the buffer's size; buffers of one size cost the same.
  static constexpr breakeven::variance variance = breakeven::variance::low;
  // A pure function of its item.
  static constexpr bool thread_safe = true;

  digest256 operator()(const buffer& b) const { return Hash::hash(std::span<const std::uint8_t>(b)); }
};

/// SHA-256 of a buffer, by OpenSSL.
struct sha256_hash : buffer_hash<openssl_sha256> {
  static constexpr std::string_view name = "sha256";
  // Measured on the shared 2-vCPU development VM, Release build, while other builds ran (load
  // average 16): scripts/bench kernels gave kernel.sha256: 2783 ns/item (1 KiB buffers), and the unchanged kernels of the same run
  // ran 5x slower than their idle figures, hence ~560 ns idle. Re-measure idle to refine.
  static constexpr auto cost = std::chrono::nanoseconds{560};
};

/// BLAKE2b-256 of a buffer.
struct blake2b_hash : buffer_hash<blake2b_256> {
  static constexpr std::string_view name = "blake2b-256";
  // Measured like sha256_hash:  scripts/bench kernels  ->  kernel.blake2b: 1580 ns/item
  static constexpr auto cost = std::chrono::nanoseconds{1'580};
};

}  // namespace breakeven::examples
