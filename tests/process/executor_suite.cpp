// One test body over every executor this branch can build: a local sequential reference
// and the process pool under each start method. (The thread pool and the library's
// sequential executor join this list where tests/executor/ runs it.)
#include "kernels.hpp"

#include <breakeven/executor/process_pool.hpp>

#include <catch2/catch.hpp>

#include <future>
#include <numeric>
#include <span>
#include <string>
#include <vector>

namespace be = breakeven;

namespace {

// The reference: runs everything in the caller.
struct reference_sequential {
  static constexpr be::executor_kind kind = be::executor_kind::sequential;
  template <class Op>
  static constexpr bool admits = true;
  unsigned concurrency() const noexcept { return 1; }
  template <class Op, class In, class Out>
  void bulk_map(const Op& op, In&& in, Out out, be::schedule = {}) {
    for (const auto& x : in) *out++ = op(x);
  }
  template <class Op>
  std::future<be::output_t<Op>> submit(const Op& op, const be::input_t<Op>& x) {
    std::promise<be::output_t<Op>> p;
    try {
      p.set_value(op(x));
    } catch (...) {
      p.set_exception(std::current_exception());
    }
    return p.get_future();
  }
};

template <be::start_method M>
struct process_pool_by : be::process_pool {
  process_pool_by() : be::process_pool(be::process_pool_options{.workers = 2, .method = M}) {}
};
using pool_fork_server = process_pool_by<be::start_method::fork_server>;
using pool_fork = process_pool_by<be::start_method::fork>;
using pool_spawn = process_pool_by<be::start_method::spawn>;

}  // namespace

static_assert(be::executor<be::process_pool>);
static_assert(be::executor<reference_sequential>);

TEMPLATE_TEST_CASE("an executor maps, submits and reports errors the same way", "[process][executor]",
                   reference_sequential, pool_fork_server, pool_fork, pool_spawn) {
  TestType ex;
  REQUIRE(ex.concurrency() >= 1);

  SECTION("bulk_map over a span into a pointer, default and explicit chunks") {
    std::vector<std::int64_t> in(10'000);
    std::iota(in.begin(), in.end(), -5'000);
    for (std::size_t chunk : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{4096}}) {
      std::vector<std::int64_t> out(in.size(), 0);
      ex.bulk_map(ptest::affine{}, std::span<const std::int64_t>(in), out.data(), be::schedule{chunk, 0, false});
      for (std::size_t i = 0; i < in.size(); ++i) REQUIRE(out[i] == 2 * in[i] + 1);
    }
  }
  SECTION("bulk_map of variable-size items into a back inserter") {
    const std::vector<std::string> in{"a b", "", "ccc dd e", "single"};
    std::vector<std::vector<std::string>> out;
    ex.bulk_map(ptest::words{}, in, std::back_inserter(out));
    REQUIRE(out.size() == 4);
    CHECK(out[0] == std::vector<std::string>{"a", "b"});
    CHECK(out[1].empty());
    CHECK(out[2] == std::vector<std::string>{"ccc", "dd", "e"});
  }
  SECTION("submit returns a future of the value") {
    std::vector<std::future<std::int64_t>> fs;
    for (std::int64_t i = 0; i < 50; ++i) fs.push_back(ex.submit(ptest::affine{}, i));
    for (std::int64_t i = 0; i < 50; ++i) CHECK(fs[static_cast<std::size_t>(i)].get() == 2 * i + 1);
  }
  SECTION("a kernel object with state travels") {
    CHECK(ex.submit(ptest::scale{2.5}, 4.0).get() == 10.0);
  }
  SECTION("a Hana struct crosses both ways") {
    const ptest::order o = ex.submit(ptest::invoice{}, ptest::order{"bob", {4, 5}, 0.5}).get();
    CHECK(o.customer == "bob (billed)");
    CHECK(o.items == std::vector<int>{4, 5, 2});
    CHECK(o.discount == 1.0);
  }
  SECTION("an exception reaches get() with its type") {
    auto f = ex.submit(ptest::thrower{}, 3);
    CHECK_THROWS_AS(f.get(), std::invalid_argument);
    auto g = ex.submit(ptest::thrower{}, 4);
    CHECK_THROWS_WITH(g.get(), "range");
  }
}
