// A kernel made of a lambda by breakeven::kernel crosses into worker processes by its name,
// with every start method.
#include "../support/process_hygiene.hpp"

#include <breakeven/executor/process_pool.hpp>
#include <breakeven/kernel.hpp>

#include <catch2/catch.hpp>

#include <vector>

namespace be = breakeven;

namespace {
constexpr auto cube = be::kernel<"process_test_cube", std::chrono::microseconds{50}>(
    [](std::int64_t x) { return x * x * x; });
constexpr auto words = be::kernel<"process_test_words", std::chrono::microseconds{50}>([](const std::string& s) {
  std::vector<std::string> out(1);
  for (char c : s) {
    if (c == ' ') out.emplace_back();
    else out.back() += c;
  }
  return out;
});
}  // namespace

TEST_CASE("a lambda kernel runs in worker processes with every start method", "[process][kernel]") {
  for (auto m : {be::start_method::fork_server, be::start_method::fork, be::start_method::spawn}) {
    INFO(be::to_string(m));
    be::process_pool_options o;
    o.workers = 2;
    o.method = m;
    be::process_pool pool(o);
    std::vector<std::int64_t> xs(100);
    for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = static_cast<std::int64_t>(i);
    const auto out = pool.map(cube, xs);
    REQUIRE(out.size() == 100);
    CHECK(out[99] == 99 * 99 * 99);
    CHECK(pool.submit(words, std::string("a bc def")).get() == std::vector<std::string>{"a", "bc", "def"});
  }
}
