// The decision for shared memory: admits<Op> agrees with the tree, the payload per task
// decides between the pipe and the segment with the crossover in the reasons, and a
// segment already held makes shared memory cheaper still.
#include "../support/guide_kernels.hpp"
#include "kernels.hpp"

#include <breakeven/decide.hpp>
#include <breakeven/executor/shared_memory.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace be = breakeven;

namespace {

struct strings_in {
  using input_type = std::string;
  using output_type = std::size_t;
  static constexpr auto cost = std::chrono::microseconds{5};
  std::size_t operator()(const std::string& s) const { return s.size(); }
};
struct span_in {
  using input_type = std::span<const int>;
  using output_type = int;
  static constexpr auto cost = std::chrono::microseconds{5};
  int operator()(const std::span<const int>& s) const { return static_cast<int>(s.size()); }
};

// A thread-unsafe kernel (so threads are out) of `Bytes` in and out per item, 1 ms each.
template <std::size_t Bytes>
struct payload {
  using input_type = std::array<std::byte, Bytes>;
  using output_type = std::array<std::byte, Bytes>;
  static constexpr auto cost = std::chrono::milliseconds{1};
  static constexpr bool thread_safe = false;
  std::array<std::byte, Bytes> operator()(const std::array<std::byte, Bytes>& x) const { return x; }
};

// The tree's admissibility rules for shared memory, whether or not the process executors are
// built for the kernel (only where threads cannot run it: tests/process/admits.cpp).
template <class Op>
constexpr be::plan tree_plan() {
  be::kernel_desc d = be::describe<Op>();
  d.processes_built = true;
  return be::decide(d, 1000, be::profiles::conservative::value);
}
template <class Op>
constexpr bool tree_admits() {
  return tree_plan<Op>().of(be::executor_kind::shared_memory).admissible;
}

}  // namespace

TEST_CASE("shared_memory_pool::admits<Op> agrees with the decision tree", "[shm][decide]") {
  STATIC_REQUIRE(be::shared_memory_pool::admits<stest::affine_vec>);
  STATIC_REQUIRE(be::shared_memory_pool::admits<stest::row_sum>);   // rows: offsets and lengths
  STATIC_REQUIRE(be::shared_memory_pool::admits<stest::brighten>);  // rows changed in place
  STATIC_REQUIRE(be::shared_memory_pool::admits<guide_kernels::unsafe_numerical>);
  STATIC_REQUIRE_FALSE(be::shared_memory_pool::admits<guide_kernels::io_wait>);  // I/O-bound: never processes
  STATIC_REQUIRE_FALSE(be::shared_memory_pool::admits<strings_in>);     // not a value of fixed size
  STATIC_REQUIRE_FALSE(be::shared_memory_pool::admits<span_in>);        // points into the caller

  STATIC_REQUIRE(be::shared_memory_pool::admits<stest::affine_vec> == tree_admits<stest::affine_vec>());
  STATIC_REQUIRE(be::shared_memory_pool::admits<stest::row_sum> == tree_admits<stest::row_sum>());
  STATIC_REQUIRE(be::shared_memory_pool::admits<guide_kernels::io_wait> == tree_admits<guide_kernels::io_wait>());
  STATIC_REQUIRE(be::shared_memory_pool::admits<strings_in> == tree_admits<strings_in>());
  STATIC_REQUIRE(be::shared_memory_pool::admits<span_in> == tree_admits<span_in>());

  // A row view never crosses by value: the process pool refuses it, shared memory takes it.
  constexpr be::plan rows = tree_plan<stest::row_sum>();
  STATIC_REQUIRE(rows.of(be::executor_kind::process_pool).why_not == be::refusal::not_transportable);
  STATIC_REQUIRE(rows.of(be::executor_kind::shared_memory).admissible);
}

TEST_CASE("the payload per task decides between the pipe and shared memory, at the crossover", "[shm][decide]") {
  const auto& prof = be::profiles::conservative::value;
  const double cross = be::detail::shm_crossover_bytes(prof, false);
  REQUIRE(cross > 1000);
  REQUIRE(cross < 10e6);
  // 64 items of 1 ms on 2 cores: 32 items a task, in and out each.
  constexpr std::size_t n = 64;
  const auto per_task = [](std::size_t bytes) { return 32.0 * 2 * static_cast<double>(bytes); };
  const be::plan small = be::plan_for<payload<256>, be::profiles::conservative>(n);
  const be::plan large = be::plan_for<payload<65536>, be::profiles::conservative>(n);
  REQUIRE(per_task(256) < cross);
  REQUIRE(per_task(65536) > cross);
  CHECK(small.kind == be::executor_kind::process_pool);
  CHECK(large.kind == be::executor_kind::shared_memory);
  const std::string s(be::explain(small).view()), l(be::explain(large).view());
  CHECK(s.find("<= crossover") != std::string::npos);
  CHECK(s.find("-> pipe") != std::string::npos);
  CHECK(l.find("> crossover") != std::string::npos);
  CHECK(l.find("-> shared memory") != std::string::npos);

  // Below the crossover, the pipe's estimate is the lower one; above it, the segment's.
  const auto& sp = small.of(be::executor_kind::process_pool);
  const auto& ss = small.of(be::executor_kind::shared_memory);
  CHECK(sp.overhead_ns < ss.overhead_ns);
  const auto& lp = large.of(be::executor_kind::process_pool);
  const auto& ls = large.of(be::executor_kind::shared_memory);
  CHECK(ls.overhead_ns < lp.overhead_ns);

  // A segment already holding the memory costs no set-up: the crossover drops to zero.
  be::call_options ready;
  ready.shm_segment_ready = true;
  CHECK(be::detail::shm_crossover_bytes(prof, true) == 0);
  const be::plan with_segment = be::decide(be::describe<payload<256>>(), n, prof, ready);
  CHECK(with_segment.of(be::executor_kind::shared_memory).overhead_ns < ss.overhead_ns);
}

TEST_CASE("a pool tells whether its segment holds a payload already", "[shm][decide]") {
  be::shared_memory_pool pool(1);
  CHECK_FALSE(pool.segment_ready(1 << 20));
  {
    auto b = pool.make_buffer<std::byte>(std::size_t{1} << 20);
  }
  CHECK(pool.segment_ready(1 << 20));  // released, kept for the next call
  CHECK_FALSE(pool.segment_ready(std::size_t{64} << 20));
}

TEST_CASE("the default chunk gives each worker two chunks at least", "[shm][decide]") {
  be::shared_memory_pool pool(2);
  CHECK(pool.default_chunk<stest::affine_vec>(4096) <= 1024);
  CHECK(pool.default_chunk<stest::affine_vec>(4096) >= 1);
  CHECK(pool.default_chunk<stest::nap_ms>(3) == 1);
}
