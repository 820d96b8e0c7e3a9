// 060-thread-unsafe.cpp - a legacy tokenizer built on std::strtok and a global buffer,
// declared `thread_safe = false`: the library may run it sequentially or in processes, never
// on threads. Prints the compile-time choice and the plans, then tokenizes a batch of lines.
//   060-thread-unsafe [batch size, default 100000]
#include "show.hpp"

#include <kernels/data.hpp>
#include <kernels/legacy.hpp>

#include <breakeven/select.hpp>

#include <cstdio>
#include <type_traits>

namespace be = breakeven;
namespace ex = breakeven::examples;
using guide = be::profiles::python_guide;

// Past the break-even batch the guide's profile goes parallel, and with threads refused that
// means worker processes, each with its own strtok state and buffer.
static_assert(std::is_same_v<be::select_t<ex::legacy_tokenize, 10'000'000, guide>, be::process_pool>);
static_assert(std::is_same_v<be::select_t<ex::legacy_tokenize, 1'000, guide>, be::sequential_executor>);
// Whatever the profile and the batch, never threads; the plan says why.
static_assert(!std::is_same_v<be::select_t<ex::legacy_tokenize, 10'000'000>, be::thread_pool>);
static_assert(!std::is_same_v<be::select_t<ex::legacy_tokenize, 10'000'000, be::profiles::python_pool_4x5ms>, be::thread_pool>);
constexpr auto large_batch_plan = be::explain(be::plan_for<ex::legacy_tokenize, guide>(10'000'000));
static_assert(large_batch_plan.contains("not thread-safe -> thread pool inadmissible"));

int main(int argc, char** argv) {
  const std::size_t n = ex::batch_argument(argc, argv, 100'000);
  ex::show_plans<ex::legacy_tokenize>({1'000, 1'000'000, 10'000'000});

  const auto lines = ex::make_log_lines(n, 6);
  std::printf("\ntokenizing %zu log lines\n", n);
  const auto stats = ex::run_sequential(ex::legacy_tokenize{}, lines);
  // Never on threads: sequential here, or worker processes where the build has them.
  if (!ex::run_map(ex::legacy_tokenize{}, lines, stats)) return 1;
  std::uint64_t tokens = 0, numbers = 0, fingerprint = 0;
  for (const auto& s : stats) {
    tokens += s.tokens;
    numbers += s.numeric_sum;
    fingerprint = (fingerprint ^ s.fingerprint) * 0x100000001b3ull;
  }
  std::printf("checksum: %llu tokens, numeric sum %llu, fingerprint %016llx\n", static_cast<unsigned long long>(tokens),
              static_cast<unsigned long long>(numbers), static_cast<unsigned long long>(fingerprint));
  if (tokens < n) {
    std::printf("FAILED: fewer tokens than lines\n");
    return 1;
  }
}
