// 040-jwt.cpp - HS256 token validation (the Python multiprocessing guide: "JWT validation, ~500 us, MP for > 600
// tokens"). Prints the compile-time choice and the plans, then validates a batch of tokens.
//   040-jwt [batch size, default 10000]
#include "show.hpp"

#include <kernels/data.hpp>
#include <kernels/jwt.hpp>

#include <breakeven/select.hpp>

#include <cstdio>
#include <type_traits>

namespace be = breakeven;
namespace ex = breakeven::examples;
using guide = be::profiles::python_guide;

// With libjwt an HS256 check costs about 5 us, not the guide's 500 us: its 600-token threshold
// becomes 60,000 tokens under the guide's own 300 ms rule.
static_assert(std::is_same_v<be::select_t<ex::jwt_validate, 601, guide>, be::sequential_executor>);
static_assert(be::break_even_v<ex::jwt_validate, guide> == 300'000'000 / be::cost_ns_v<ex::jwt_validate>);
static_assert(std::is_same_v<be::select_t<ex::jwt_validate, 1'000'000, guide>, be::thread_pool>);

int main(int argc, char** argv) {
  const std::size_t n = ex::batch_argument(argc, argv, 10'000);
  ex::show_plans<ex::jwt_validate>({600, 10'000, 1'000'000});

  const ex::token_set set = ex::make_tokens(n, 4);
  std::printf("\nvalidating %zu tokens\n", n);
  const auto verdicts = ex::run_sequential(ex::jwt_validate{}, set.tokens);
  if (!ex::run_map(ex::jwt_validate{}, set.tokens, verdicts)) return 1;
  std::size_t by_verdict[5]{};
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < n; ++i) {
    ++by_verdict[static_cast<int>(verdicts[i])];
    if (verdicts[i] != set.expected[i]) ++wrong;
  }
  std::printf("checksum:");
  for (int v = 0; v < 5; ++v) std::printf(" %s=%zu", ex::to_string(static_cast<ex::jwt_status>(v)).data(), by_verdict[v]);
  std::printf("\n");
  if (wrong != 0) {
    std::printf("FAILED: %zu tokens got another verdict than they were made for\n", wrong);
    return 1;
  }
}
