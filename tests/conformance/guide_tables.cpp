// The design's tables, as compile-time checks: the guide's quick reference and
// break-even sizes (the Python multiprocessing guide), and Example 26.3's verdicts under the
// profile of the lecture's crossover example.
#include "../support/guide_kernels.hpp"

#include <breakeven/break_even_table.hpp>
#include <breakeven/select.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

namespace be = breakeven;
using be::executor_kind;
using guide = be::profiles::python_guide;  // formerly profiles::guide
using lecture = be::profiles::python_pool_4x5ms;  // formerly profiles::lecture

TEST_CASE("guide quick reference: hash, analytics, pattern, numerical", "[conformance][guide]") {
  STATIC_REQUIRE(be::plan_for<guide_kernels::hash, guide>(1'000).kind == executor_kind::sequential);
  STATIC_REQUIRE(be::plan_for<guide_kernels::analytics, guide>(1'000).kind == executor_kind::sequential);
  STATIC_REQUIRE(be::plan_for<guide_kernels::pattern_1ms, guide>(1'000).parallel());
  STATIC_REQUIRE(be::plan_for<guide_kernels::numerical, guide>(10).parallel());
  // The guide calls numerical "always" parallel; its own 300 ms rule keeps 6 items or fewer
  // sequential, and the library follows the rule and says why.
  STATIC_REQUIRE(be::break_even_v<guide_kernels::numerical, guide> == 6);
  STATIC_REQUIRE(be::explain(be::plan_for<guide_kernels::numerical, guide>(6)).contains("work 300 ms <= 3 x overhead 100 ms"));
}

TEST_CASE("guide break-even sizes, parallel strictly above", "[conformance][guide]") {
  STATIC_REQUIRE(be::break_even_v<guide_kernels::hash, guide> == 150'000);
  STATIC_REQUIRE(be::break_even_v<guide_kernels::pattern, guide> == 3'000);
  STATIC_REQUIRE(be::break_even_v<guide_kernels::jwt, guide> == 600);
  STATIC_REQUIRE(!be::plan_for<guide_kernels::hash, guide>(150'000).parallel());
  STATIC_REQUIRE(be::plan_for<guide_kernels::hash, guide>(150'001).parallel());
  STATIC_REQUIRE(!be::plan_for<guide_kernels::jwt, guide>(600).parallel());
  STATIC_REQUIRE(be::plan_for<guide_kernels::jwt, guide>(601).parallel());
}

namespace {
// Example 26.3: 8 tasks on a warm pool of 4, pool.map's default chunksize of 1 for 8 tasks.
constexpr be::plan lecture_plan(double ms, std::size_t chunk) {
  be::kernel_desc k{.cost_ns = ms * 1e6, .bytes_in = 16, .bytes_out = 16};
  be::call_options o;
  o.chunk = chunk;
  return be::decide(k, 8, lecture::value, o);
}
}  // namespace

TEST_CASE("lecture Example 26.3 verdicts", "[conformance][lecture]") {
  STATIC_REQUIRE(!lecture_plan(1, 1).parallel());
  STATIC_REQUIRE(!lecture_plan(5, 1).parallel());
  STATIC_REQUIRE(lecture_plan(10, 1).parallel());
  STATIC_REQUIRE(lecture_plan(50, 1).parallel());
  STATIC_REQUIRE(lecture_plan(100, 1).parallel());
  STATIC_REQUIRE(lecture_plan(500, 1).parallel());
  // The estimates match the lecture's expected output: pool = 8 x 5 ms + work / 4.
  STATIC_REQUIRE(lecture_plan(10, 1).estimate_ns() == 60e6);
  STATIC_REQUIRE(lecture_plan(5, 1).of(executor_kind::thread_pool).estimate_ns() == 50e6);
  // Slide 7's remedy, batching into chunks, turns 5 ms into a win: 4 round trips, not 8.
  STATIC_REQUIRE(lecture_plan(5, 0).parallel());
  STATIC_REQUIRE(lecture_plan(5, 0).chunk == 2);
}

TEST_CASE("compile-time selection picks executor types", "[conformance][select]") {
  STATIC_REQUIRE(std::is_same_v<be::select_t<guide_kernels::hash, 1'000, guide>, be::sequential_executor>);
  STATIC_REQUIRE(!std::is_same_v<be::select_t<guide_kernels::numerical, 10, guide>, be::sequential_executor>);
  STATIC_REQUIRE(std::is_same_v<be::select_t<guide_kernels::numerical, 10, guide>, be::thread_pool>);
  // A thread-unsafe kernel is never given the thread pool, whatever the batch.
  STATIC_REQUIRE(std::is_same_v<be::select_t<guide_kernels::unsafe_numerical, 10, guide>, be::process_pool>);
  STATIC_REQUIRE(std::is_same_v<be::select_t<guide_kernels::unsafe_numerical, 1'000'000, lecture>, be::process_pool>);
  STATIC_REQUIRE(std::is_same_v<be::select_t<guide_kernels::unsafe_numerical, 2, be::profiles::conservative>, be::process_pool>);
  // Isolation forces processes even for one cheap item.
  STATIC_REQUIRE(std::is_same_v<be::select_t<guide_kernels::isolated, 1, guide>, be::process_pool>);
  // I/O-bound work never goes to processes.
  STATIC_REQUIRE(std::is_same_v<be::select_t<guide_kernels::io_wait, 1'000, guide>, be::thread_pool>);
  STATIC_REQUIRE(be::static_batch_v<std::array<int, 7>> == 7);
  STATIC_REQUIRE(be::static_batch_v<std::span<const int, 9>> == 9);
  STATIC_REQUIRE(be::static_batch_v<std::span<const int>> == 0);
}

TEST_CASE("a thread-unsafe kernel is never planned onto threads", "[conformance][select]") {
  constexpr auto t = be::decision_table_v<guide_kernels::unsafe_numerical, be::profiles::conservative>;
  for (std::size_t i = 0; i < t.count; ++i) CHECK(t.segments[i].kind != executor_kind::thread_pool);
  for (std::size_t n : {1u, 2u, 10u, 1000u, 1000000u}) {
    CHECK(be::plan_for<guide_kernels::unsafe_numerical, be::profiles::conservative>(n).kind != executor_kind::thread_pool);
    CHECK(be::plan_for<guide_kernels::unsafe_numerical, guide>(n).kind != executor_kind::thread_pool);
  }
}

// The same explanation checked at namespace scope, where g++ 12 once could not evaluate it.
static_assert(be::explain(be::plan_for<guide_kernels::numerical, guide>(6)).contains("work 300 ms <= 3 x overhead 100 ms"));
static_assert(!be::explain(be::plan_for<guide_kernels::numerical, guide>(6)).contains("=> thread_pool"));

TEST_CASE("the Python profiles are named for what they are; the former names decide the same", "[conformance][names]") {
  STATIC_REQUIRE(std::string_view(guide::value.name) == "python_guide");
  STATIC_REQUIRE(std::string_view(lecture::value.name) == "python_pool_4x5ms");
  CHECK(std::string(be::explain(be::plan_for<guide_kernels::hash, guide>(1'000)).view()).find("[python_guide] batch 1000") == 0);
  for (const std::size_t n : {1u, 8u, 600u, 3'000u, 150'000u, 150'001u}) {
    CHECK(be::plan_for<guide_kernels::hash, guide>(n).kind == be::plan_for<guide_kernels::hash, be::profiles::guide>(n).kind);
    CHECK(be::plan_for<guide_kernels::pattern_1ms, lecture>(n).kind == be::plan_for<guide_kernels::pattern_1ms, be::profiles::lecture>(n).kind);
  }
}
