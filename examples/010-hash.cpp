// 010-hash.cpp - SHA-256 and BLAKE2b-256 of 1 KiB buffers (the Python multiprocessing guide: "Hash (SHA256), 1-2 us:
// never beneficial"). Prints the compile-time choice and the plans, then hashes a batch.
//   010-hash [batch size, default 10000]
#include "show.hpp"

#include <kernels/data.hpp>
#include <kernels/encoding.hpp>
#include <kernels/hash.hpp>

#include <breakeven/select.hpp>

#include <cstdio>
#include <type_traits>

namespace be = breakeven;
namespace ex = breakeven::examples;
using guide = be::profiles::python_guide;

// The digest is computed by the compiler as well: FIPS 180-4's "abc" example.
static_assert(ex::sha256::hash(std::string_view("abc"))[0] == 0xba && ex::sha256::hash(std::string_view("abc"))[31] == 0xad);

// Under the guide's 100 ms per parallel call, a thousand hashes stay sequential...
static_assert(std::is_same_v<be::select_t<ex::sha256_hash, 1'000, guide>, be::sequential_executor>);
// ...and the break-even batch is the guide's rule, 300 ms of work over the measured cost
// (0.56 us with OpenSSL: about 535,000 hashes where the guide's 2 us gives 150,000).
static_assert(be::break_even_v<ex::sha256_hash, guide> == 300'000'000 / be::cost_ns_v<ex::sha256_hash>);
// Past it, threads: the guide charges every executor alike, and ties go to the cheapest.
static_assert(std::is_same_v<be::select_t<ex::sha256_hash, 1'000'000, guide>, be::thread_pool>);
// OpenSSL's SHA-256 (the CPU's SHA instructions) costs less than the hand-written BLAKE2b, so
// the BLAKE2b kernel's break-even batch is the smaller.
static_assert(be::break_even_v<ex::blake2b_hash, guide> < be::break_even_v<ex::sha256_hash, guide>);

int main(int argc, char** argv) {
  const std::size_t n = ex::batch_argument(argc, argv, 10'000);
  ex::show_plans<ex::sha256_hash>({1'000, 100'000, 1'000'000});
  ex::show_plans<ex::blake2b_hash>({1'000, 100'000, 1'000'000});

  const auto buffers = ex::make_buffers(n, 1);
  std::printf("\nsha256 of %zu buffers of %zu bytes\n", n, ex::sha256_hash::representative_bytes);
  const auto sha = ex::run_sequential(ex::sha256_hash{}, buffers);
  if (!ex::run_map(ex::sha256_hash{}, buffers, sha)) return 1;
  std::printf("blake2b-256 of the same buffers\n");
  const auto b2 = ex::run_sequential(ex::blake2b_hash{}, buffers);
  if (!ex::run_map(ex::blake2b_hash{}, buffers, b2)) return 1;
  // A checksum: the hash of all digests in order.
  ex::sha256 all;
  for (const auto& d : sha) all.update(std::span<const std::uint8_t>(d));
  for (const auto& d : b2) all.update(std::span<const std::uint8_t>(d));
  std::printf("checksum (sha256 of all digests): %s\n", ex::to_hex(all.finish()).c_str());
  // The kernels agree with the one-shot functions on the last buffer.
  const auto& last = buffers.back();
  if (sha.back() != ex::sha256::hash(std::span<const std::uint8_t>(last)) ||
      b2.back() != ex::blake2b_256::hash(std::span<const std::uint8_t>(last))) {
    std::printf("FAILED: a kernel disagrees with its hash function\n");
    return 1;
  }
}
