// process_pool::admits agrees with the decision tree's admissibility for processes, and a
// kernel it does not admit is a compile error (tests/compile_fail/process_not_transportable.cpp).
#include "../support/guide_kernels.hpp"
#include "kernels.hpp"

#include <breakeven/decide.hpp>
#include <breakeven/executor/process_pool.hpp>

#include <catch2/catch.hpp>

#include <map>

namespace be = breakeven;

namespace {
struct maps_input {  // a standard container: transportable
  using input_type = std::map<int, int>;
  using output_type = int;
  static constexpr auto cost = std::chrono::microseconds{5};
  int operator()(const std::map<int, int>& m) const { return static_cast<int>(m.size()); }
};
struct node {  // trivially copyable, but it holds an address
  const char* name;
  int value;
};
struct node_input {
  using input_type = node;
  using output_type = int;
  static constexpr auto cost = std::chrono::microseconds{5};
  int operator()(const node& n) const { return n.value; }
};
struct stranded_parameter {  // a parameter of plain bytes, not opted in: it could not travel
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::microseconds{5};
  int offset = 0;
  int operator()(const int& x) const { return x + offset; }
};
struct pointer_output {
  using input_type = int;
  using output_type = const char*;
  static constexpr auto cost = std::chrono::microseconds{5};
  const char* operator()(const int&) const { return "x"; }
};
// The tree's admissibility rules for processes. Whether the process executors are built for a
// kernel at all (only where threads cannot run it) is a rule of its own, tested below.
template <class Op>
constexpr bool tree_admits() {
  be::kernel_desc d = be::describe<Op>();
  d.processes_built = true;
  return be::decide(d, 1000, be::profiles::conservative::value).of(be::executor_kind::process_pool).admissible;
}
}  // namespace

TEST_CASE("admits<Op> agrees with the decision tree", "[process][decide]") {
  STATIC_REQUIRE(be::process_pool::admits<ptest::affine>);
  STATIC_REQUIRE(be::process_pool::admits<ptest::invoice>);  // Hana structs
  STATIC_REQUIRE(be::process_pool::admits<ptest::faulty>);   // isolation: processes only
  STATIC_REQUIRE(be::process_pool::admits<guide_kernels::unsafe_numerical>);  // not thread-safe: fine in a process
  STATIC_REQUIRE_FALSE(be::process_pool::admits<guide_kernels::io_wait>);     // I/O-bound: never processes
  STATIC_REQUIRE(be::process_pool::admits<maps_input>);
  STATIC_REQUIRE_FALSE(be::process_pool::admits<node_input>);
  STATIC_REQUIRE_FALSE(be::process_pool::admits<stranded_parameter>);
  STATIC_REQUIRE(be::process_pool::admits<ptest::scale>);  // its parameter opted in
  STATIC_REQUIRE_FALSE(be::process_pool::admits<pointer_output>);

  STATIC_REQUIRE(be::process_pool::admits<ptest::affine> == tree_admits<ptest::affine>());
  STATIC_REQUIRE(be::process_pool::admits<ptest::invoice> == tree_admits<ptest::invoice>());
  STATIC_REQUIRE(be::process_pool::admits<guide_kernels::unsafe_numerical> == tree_admits<guide_kernels::unsafe_numerical>());
  STATIC_REQUIRE(be::process_pool::admits<guide_kernels::io_wait> == tree_admits<guide_kernels::io_wait>());
  STATIC_REQUIRE(be::process_pool::admits<maps_input> == tree_admits<maps_input>());
  STATIC_REQUIRE(be::process_pool::admits<node_input> == tree_admits<node_input>());
  STATIC_REQUIRE(be::process_pool::admits<pointer_output> == tree_admits<pointer_output>());
}

TEST_CASE("a thread-safe kernel runs on threads: no process executor is built for it", "[process][decide]") {
  // The pool runs such a kernel when it is named (admits), but the decision never plans it
  // there, and says why.
  STATIC_REQUIRE(be::process_pool::admits<ptest::affine>);
  STATIC_REQUIRE_FALSE(be::processes_built_v<ptest::affine>);
  STATIC_REQUIRE(be::processes_built_v<guide_kernels::unsafe_numerical>);
  STATIC_REQUIRE(be::processes_built_v<ptest::faulty>);               // isolation
  STATIC_REQUIRE_FALSE(be::processes_built_v<guide_kernels::io_wait>);  // I/O-bound, not isolated
  constexpr be::plan p = be::plan_for<ptest::affine, be::profiles::conservative>(100'000);
  STATIC_REQUIRE(p.of(be::executor_kind::process_pool).why_not == be::refusal::threads_suffice);
  STATIC_REQUIRE(p.of(be::executor_kind::shared_memory).why_not == be::refusal::threads_suffice);
  CHECK(std::string(be::explain(p).view()).find("threads run it") != std::string::npos);
}

TEST_CASE("the plan counts cold start, round trips per chunk and bytes for the process pool", "[process][decide]") {
  be::call_options warm, cold;
  cold.processes_warm = false;
  const auto k = be::describe<ptest::affine>();
  const auto pw = be::decide(k, 100'000, be::profiles::conservative::value, warm);
  const auto pc = be::decide(k, 100'000, be::profiles::conservative::value, cold);
  const auto& cw = pw.of(be::executor_kind::process_pool);
  const auto& cc = pc.of(be::executor_kind::process_pool);
  CHECK(cc.overhead_ns - cw.overhead_ns == Approx(be::profiles::conservative::value.process_start_ns));
  be::kernel_desc heavier = k;
  heavier.bytes_in *= 2;
  const auto pb = be::decide(heavier, 100'000, be::profiles::conservative::value, warm);
  CHECK(pb.of(be::executor_kind::process_pool).overhead_ns > cw.overhead_ns);
}

TEST_CASE("the default chunk follows the plan and is never 1 for a large batch", "[process][decide]") {
  be::process_pool pool(2);
  const std::size_t c = pool.default_chunk<ptest::affine>(1'000'000);
  CHECK(c > 1);
  CHECK(c <= 1'000'000 / 8);  // at least four chunks per worker
  CHECK(pool.default_chunk<ptest::nap>(8) == 1);  // few heavy, varying items: one per task
}
