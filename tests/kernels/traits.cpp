// Every example kernel is a breakeven operation with the traits it documents, its items can
// travel to worker processes, and under the guide's profile it gets the guide's own rule:
// parallel exactly when the batch's work exceeds 3 x 100 ms.
#include <kernels/analytics.hpp>
#include <kernels/hash.hpp>
#include <kernels/jwt.hpp>
#include <kernels/legacy.hpp>
#include <kernels/numerical.hpp>
#include <kernels/pattern.hpp>

#include <breakeven/break_even_table.hpp>
#include <breakeven/concepts.hpp>
#include <breakeven/select.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <string_view>

namespace ex = breakeven::examples;
namespace be = breakeven;

static_assert(be::operation<ex::sha256_hash>);
static_assert(be::operation<ex::blake2b_hash>);
static_assert(be::operation<ex::session_analytics>);
static_assert(be::operation<ex::pattern_match>);
static_assert(be::operation<ex::jwt_validate>);
static_assert(be::operation<ex::oscillatory_integral>);
static_assert(be::operation<ex::legacy_tokenize>);

#define EXAMPLE_KERNELS                                                                                      \
  ex::sha256_hash, ex::blake2b_hash, ex::session_analytics, ex::pattern_match, ex::jwt_validate, \
      ex::oscillatory_integral, ex::legacy_tokenize

TEMPLATE_TEST_CASE("each kernel is a complete, well-typed operation", "[kernels][traits]", EXAMPLE_KERNELS) {
  using kt = be::kernel_traits<TestType>;
  STATIC_REQUIRE(be::check_operation<TestType>());
  STATIC_REQUIRE(kt::cost_known);
  STATIC_REQUIRE(kt::cost_ns > 0);
  STATIC_REQUIRE(kt::bound == be::bound::cpu);
  STATIC_REQUIRE(!kt::isolation);
  STATIC_REQUIRE(!kt::shared_sink);
  STATIC_REQUIRE(kt::name == TestType::name);
  STATIC_REQUIRE(!kt::name.empty());
  // Items and results can cross a process boundary, so process executors admit them.
  STATIC_REQUIRE(be::transportable<typename kt::input_type>);
  STATIC_REQUIRE(be::transportable<typename kt::output_type>);
  STATIC_REQUIRE(be::describe<TestType>().transportable);
}

TEMPLATE_TEST_CASE("under the guide's profile the break-even batch is 300 ms / cost", "[kernels][traits][plan]",
                   EXAMPLE_KERNELS) {
  using guide = be::profiles::guide;
  constexpr auto cost_ns = be::cost_ns_v<TestType>;
  constexpr std::size_t expected = static_cast<std::size_t>(300'000'000 / cost_ns);
  STATIC_REQUIRE(be::break_even_v<TestType, guide> == expected);
  STATIC_REQUIRE(!be::plan_for<TestType, guide>(expected).parallel());
  STATIC_REQUIRE(be::plan_for<TestType, guide>(expected + 1).parallel());
}

TEST_CASE("traits where the kernels differ", "[kernels][traits]") {
  // Variable-size items declare their size per item.
  STATIC_REQUIRE(be::kernel_traits<ex::sha256_hash>::variable_bytes_in);
  STATIC_REQUIRE(be::kernel_traits<ex::pattern_match>::variable_bytes_in);
  STATIC_REQUIRE(be::kernel_traits<ex::session_analytics>::variable_bytes_in);
  STATIC_REQUIRE(!be::kernel_traits<ex::oscillatory_integral>::variable_bytes_in);
  CHECK(be::kernel_traits<ex::sha256_hash>::input_bytes(ex::buffer(4096)) == 4096);
  CHECK(be::kernel_traits<ex::session_analytics>::input_bytes(ex::session(3)) == 3 * sizeof(ex::record));
  CHECK(be::kernel_traits<ex::jwt_validate>::input_bytes(std::string(200, 'x')) == 200);
  // Only fixed-size, trivially copyable items can go through shared memory as they are.
  STATIC_REQUIRE(be::describe<ex::oscillatory_integral>().shm_compatible);
  STATIC_REQUIRE(!be::describe<ex::sha256_hash>().shm_compatible);
  // Variance: fixed-size work low, sessions of varying length medium, panels high.
  STATIC_REQUIRE(be::kernel_traits<ex::sha256_hash>::variance == be::variance::low);
  STATIC_REQUIRE(be::kernel_traits<ex::session_analytics>::variance == be::variance::medium);
  STATIC_REQUIRE(be::kernel_traits<ex::oscillatory_integral>::variance == be::variance::high);
  // Thread safety: every kernel but the legacy tokenizer.
  STATIC_REQUIRE(be::kernel_traits<ex::pattern_match>::thread_safe);
  STATIC_REQUIRE(be::kernel_traits<ex::jwt_validate>::thread_safe);
  STATIC_REQUIRE(!be::kernel_traits<ex::legacy_tokenize>::thread_safe);
}

TEST_CASE("the guide's quick reference, with costs measured in C++", "[kernels][plan]") {
  using guide = be::profiles::guide;
  // Hashing and analytics at 1,000 items stay sequential, as in the guide.
  STATIC_REQUIRE(std::is_same_v<be::select_t<ex::sha256_hash, 1'000, guide>, be::sequential_executor>);
  STATIC_REQUIRE(std::is_same_v<be::select_t<ex::session_analytics, 1'000, guide>, be::sequential_executor>);
  // RE2 scans 1,000 texts for ten patterns in ~12 ms, far below 300 ms: sequential, unlike
  // the guide's 1 ms per text; 100,000 texts are parallel.
  STATIC_REQUIRE(!be::plan_for<ex::pattern_match, guide>(1'000).parallel());
  STATIC_REQUIRE(be::plan_for<ex::pattern_match, guide>(100'000).parallel());
  // Ten integrals of the representative size: parallel, as in the guide.
  STATIC_REQUIRE(be::plan_for<ex::oscillatory_integral, guide>(10).parallel());
  // JWT validation costs microseconds in C++, not the guide's 500 us: 600 tokens stay sequential.
  STATIC_REQUIRE(!be::plan_for<ex::jwt_validate, guide>(601).parallel());
}
