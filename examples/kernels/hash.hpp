// kernels/hash.hpp - hashing kernels: SHA-256 and BLAKE2b-256 of a byte buffer (the Python
// multiprocessing guide's "Hash (SHA256)" and "hash_blake2b" operations).
#pragma once

#include "blake2b.hpp"
#include "sha256.hpp"

#include <breakeven/traits.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace breakeven::examples {

/// A byte buffer: one item of the hashing kernels.
using buffer = std::vector<std::uint8_t>;

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

  digest256 operator()(const buffer& b) const noexcept { return Hash::hash(std::span<const std::uint8_t>(b)); }
};

/// SHA-256 of a buffer.
struct sha256_hash : buffer_hash<sha256> {
  static constexpr std::string_view name = "sha256";
  // Measured on the 2-vCPU development VM, Release build, 1 KiB buffers (docs/kernels.md):
  //   scripts/bench kernels  ->  kernel.sha256: 3357 ns/item
  static constexpr auto cost = std::chrono::nanoseconds{3'360};
};

/// BLAKE2b-256 of a buffer.
struct blake2b_hash : buffer_hash<blake2b_256> {
  static constexpr std::string_view name = "blake2b-256";
  // Measured like sha256_hash:  scripts/bench kernels  ->  kernel.blake2b: 1580 ns/item
  static constexpr auto cost = std::chrono::nanoseconds{1'580};
};

}  // namespace breakeven::examples
