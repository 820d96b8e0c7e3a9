// 030-pattern.cpp - ten regular expressions over log texts (the Python multiprocessing guide: "Pattern matching
// (10 patterns), ~1 ms/text, ~300 texts"). Prints the compile-time choice and the plans, then
// scans a batch of texts.
//   030-pattern [batch size, default 200]
#include "show.hpp"

#include <kernels/data.hpp>
#include <kernels/pattern.hpp>

#include <breakeven/select.hpp>

#include <cstdio>
#include <type_traits>

namespace be = breakeven;
namespace ex = breakeven::examples;
using guide = be::profiles::python_guide;

// RE2 scans a 1.1 KiB text for ten patterns in about 12 us, not the guide's 1 ms: 1,000 texts
// (12 ms) are not worth 100 ms of parallel overhead; 100,000 texts (1.2 s) are.
static_assert(std::is_same_v<be::select_t<ex::pattern_match, 100'000, guide>, be::thread_pool>);
static_assert(std::is_same_v<be::select_t<ex::pattern_match, 1'000, guide>, be::sequential_executor>);
// The guide's "~300 texts" for its 1 ms: 25,000 texts at 12 us.
static_assert(be::break_even_v<ex::pattern_match, guide> == 300'000'000 / be::cost_ns_v<ex::pattern_match>);

int main(int argc, char** argv) {
  const std::size_t n = ex::batch_argument(argc, argv, 200);
  ex::show_plans<ex::pattern_match>({100, 1'000, 10'000});

  const auto texts = ex::make_texts(n, 3);
  std::printf("\n10 patterns over %zu texts\n", n);
  const auto hits = ex::run_sequential(ex::pattern_match{}, texts);
  if (!ex::run_map(ex::pattern_match{}, texts, hits)) return 1;
  std::size_t per_pattern[ex::pattern_count]{};
  std::size_t texts_with_errors = 0;
  for (const auto& h : hits) {
    for (std::size_t i = 0; i < ex::pattern_count; ++i) per_pattern[i] += h.counts[i];
    if (h.mask & (1u << 4)) ++texts_with_errors;
  }
  std::printf("checksum: matches per pattern:");
  for (std::size_t i = 0; i < ex::pattern_count; ++i)
    std::printf(" %.*s=%zu", static_cast<int>(ex::pattern_sources[i].name.size()), ex::pattern_sources[i].name.data(),
                per_pattern[i]);
  std::printf("\n  texts with an ERROR/FATAL line: %zu of %zu\n", texts_with_errors, n);
  if (per_pattern[3] == 0) {  // every generated text starts with a timestamp
    std::printf("FAILED: no timestamps found\n");
    return 1;
  }
}
