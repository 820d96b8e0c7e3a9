// The legacy tokenizer: its results, its refusals, and the plans it gets: declared not
// thread-safe, it is never planned onto the thread pool, whatever the batch or profile.
#include <kernels/legacy.hpp>

#include <kernels/data.hpp>

#include <breakeven/break_even_table.hpp>
#include <breakeven/select.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace ex = breakeven::examples;
namespace be = breakeven;

TEST_CASE("tokens, numbers and the longest token of a line", "[kernels][legacy]") {
  const auto r = ex::legacy_tokenize{}(R"(2024-01-01 INFO [auth] user=42 bytes=1000 "hello, world")");
  // Tokens: 2024-01-01 INFO auth user 42 bytes 1000 hello world
  CHECK(r.tokens == 9);
  CHECK(r.numeric == 2);
  CHECK(r.numeric_sum == 1042);
  CHECK(r.longest == 10);
  CHECK(ex::legacy_tokenize{}("").tokens == 0);
  CHECK(ex::legacy_tokenize{}(" ,;; ").tokens == 0);
}

TEST_CASE("the fingerprint depends on the tokens and their order, not the delimiters", "[kernels][legacy]") {
  const ex::legacy_tokenize tok;
  CHECK(tok("a b c").fingerprint == tok("a,b;;c").fingerprint);
  CHECK(tok("a b c").fingerprint != tok("c b a").fingerprint);
  CHECK(tok("ab c").fingerprint != tok("a bc").fingerprint);
}

TEST_CASE("calls in sequence do not leak state into each other", "[kernels][legacy]") {
  const ex::legacy_tokenize tok;
  const auto lines = ex::make_log_lines(50, 4);
  std::vector<ex::token_stats> first;
  for (const auto& l : lines) first.push_back(tok(l));
  for (std::size_t i = lines.size(); i-- > 0;) CHECK(tok(lines[i]) == first[i]);
}

TEST_CASE("lines the legacy buffer cannot hold are refused, not truncated", "[kernels][legacy]") {
  const ex::legacy_tokenize tok;
  CHECK(tok(std::string(ex::legacy_tokenize::max_line, 'x')).longest == ex::legacy_tokenize::max_line);
  CHECK_THROWS_AS(tok(std::string(ex::legacy_tokenize::max_line + 1, 'x')), std::length_error);
  CHECK_THROWS_WITH(tok(std::string("a\0b", 3)), Catch::Contains("0 byte"));
}

TEST_CASE("the thread-unsafe kernel is never planned onto threads", "[kernels][legacy][plan]") {
  STATIC_REQUIRE(!be::kernel_traits<ex::legacy_tokenize>::thread_safe);
  STATIC_REQUIRE(!be::static_plan_v<ex::legacy_tokenize, 10'000'000, be::profiles::guide>.of(be::executor_kind::thread_pool).admissible);
  STATIC_REQUIRE(std::is_same_v<be::select_t<ex::legacy_tokenize, 10'000'000, be::profiles::guide>, be::process_pool>);
  STATIC_REQUIRE(std::is_same_v<be::select_t<ex::legacy_tokenize, 10, be::profiles::guide>, be::sequential_executor>);
  const auto check_table = [](const be::decision_table& t) {
    for (std::size_t n = 0; n <= be::exact_batch_limit; ++n) CHECK(t.small[n] != be::executor_kind::thread_pool);
    for (std::size_t i = 0; i < t.count; ++i) CHECK(t.segments[i].kind != be::executor_kind::thread_pool);
  };
  check_table(be::decision_table_v<ex::legacy_tokenize, be::profiles::guide>);
  check_table(be::decision_table_v<ex::legacy_tokenize, be::profiles::lecture>);
  check_table(be::decision_table_v<ex::legacy_tokenize, be::profiles::conservative>);
  check_table(be::decision_table_v<ex::legacy_tokenize>);
  const auto p = be::plan_for<ex::legacy_tokenize, be::profiles::guide>(10'000'000);
  CHECK(be::explain(p).contains("not thread-safe -> thread pool inadmissible"));
}
