// map / for_each / submit: results in order over every kind of range, the executor chosen
// by cost and visible in the statistics, switches honoured, exceptions keep their types.
#include "common.hpp"

#include <breakeven/api.hpp>

#include <catch2/catch.hpp>

#include <range/v3/view/filter.hpp>
#include <range/v3/view/iota.hpp>
#include <range/v3/view/transform.hpp>

#include <array>
#include <atomic>
#include <cstdlib>
#include <list>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace be = breakeven;
using namespace std::chrono_literals;

namespace {
struct square {  // far too cheap to dispatch
  using input_type = int;
  using output_type = long;
  static constexpr auto cost = 2ns;
  long operator()(const int& x) const { return static_cast<long>(x) * x; }
};

struct slow_square {  // declared expensive: plans go parallel from a handful of items
  using input_type = int;
  using output_type = long;
  static constexpr auto cost = 5ms;
  long operator()(const int& x) const { return static_cast<long>(x) * x; }
};

struct not_thread_safe {
  using input_type = int;
  using output_type = long;
  static constexpr auto cost = 5ms;
  static constexpr bool thread_safe = false;
  long operator()(const int& x) const { return x; }
};

struct picky {  // throws for one item
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = 5ms;
  int operator()(const int& x) const {
    if (x == 37) throw std::out_of_range("item 37");
    return x;
  }
};

std::atomic<long> effects{0};
struct accumulate {
  using input_type = int;
  using output_type = void;
  static constexpr auto cost = 5ms;
  void operator()(const int& x) const { effects.fetch_add(x, std::memory_order_relaxed); }
};

using api_test::iota_vec;
using api_test::settings_guard;
}  // namespace

TEST_CASE("map returns results in input order for every range kind", "[api]") {
  const auto v = iota_vec(1000);
  const std::vector<long> expect = [&] {
    std::vector<long> e;
    for (int x : v) e.push_back(static_cast<long>(x) * x);
    return e;
  }();
  CHECK(be::map(square{}, v) == expect);
  CHECK(be::map(slow_square{}, v) == expect);
  CHECK(be::map(slow_square{}, std::span<const int>(v)) == expect);
  std::array<int, 5> a{1, 2, 3, 4, 5};
  CHECK(be::map(square{}, a) == std::vector<long>{1, 4, 9, 16, 25});
  CHECK(be::map(slow_square{}, std::span<const int, 5>(a)) == std::vector<long>{1, 4, 9, 16, 25});
  std::list<int> l{3, 1, 2};
  CHECK(be::map(slow_square{}, l) == std::vector<long>{9, 1, 4});
  auto odd = ranges::views::iota(0, 20) | ranges::views::filter([](int x) { return x % 2 == 1; });
  CHECK(be::map(slow_square{}, odd) == std::vector<long>{1, 9, 25, 49, 81, 121, 169, 225, 289, 361});
  auto doubled = ranges::views::iota(0, 100) | ranges::views::transform([](int x) { return 2 * x; });
  const auto d = be::map(slow_square{}, doubled);
  REQUIRE(d.size() == 100);
  CHECK(d[99] == 198L * 198);
  CHECK(be::map(square{}, std::vector<int>{}).empty());
}

TEST_CASE("map writes through output iterators", "[api]") {
  const auto v = iota_vec(64);
  std::vector<long> out(64, -1);
  auto end = be::map(slow_square{}, v, out.begin());
  CHECK(end == out.end());
  CHECK(out[63] == 63L * 63);
  std::vector<long> appended;
  be::map(slow_square{}, v, std::back_inserter(appended));
  CHECK(appended == out);
}

TEST_CASE("the executor follows the cost, and statistics show it", "[api][stats]") {
  settings_guard g;
  be::set_settings({.learn = false});  // the static decision: no call explores
  be::reset_statistics();
  const auto v = iota_vec(64);
  be::map(square{}, v);  // 64 x 2 ns: sequential
  CHECK(be::statistics()[be::executor_kind::sequential].calls == 1);
  be::map(slow_square{}, v);  // 64 x 5 ms: parallel on any machine with 2 cores or more
  if (be::runtime_profile().cores > 1) CHECK(be::statistics()[be::executor_kind::thread_pool].calls == 1);
  CHECK(be::statistics()[be::executor_kind::thread_pool].items + be::statistics()[be::executor_kind::sequential].items == 128);
}

namespace {
struct embed_norm {  // 64 KiB in, thread-unsafe: processes only, the payload decides which
  using input_type = std::array<float, 16384>;
  using output_type = float;
  static constexpr auto cost = 2ms;
  static constexpr bool thread_safe = false;
  float operator()(const std::array<float, 16384>& v) const {
    float s = 0;
    for (float x : v) s += x * x;
    return s;
  }
};
}  // namespace

TEST_CASE("processes: large payloads go through shared memory, small ones through the pipe", "[api][shm]") {
  settings_guard g;
  // The static decision: no call explores (with learning on, what earlier test cases taught
  // not_thread_safe may let this call try its runner-up, shared memory).
  be::set_settings({.learn = false});
  be::reset_statistics();
  CHECK(be::map(not_thread_safe{}, iota_vec(64))[63] == 63);
  CHECK(be::statistics()[be::executor_kind::process_pool].calls == 1);
  std::vector<std::array<float, 16384>> items(64);  // 2 MiB a task: past the crossover of either profile
  for (std::size_t i = 0; i < items.size(); ++i) items[i].fill(static_cast<float>(i));
  const auto norms = be::map(embed_norm{}, items);
  CHECK(be::statistics()[be::executor_kind::shared_memory].calls == 1);
  CHECK(norms[3] == 9.0f * 16384);
  // The registry reports the segment it holds: a call of the same size finds it ready (and
  // then, with no set-up to pay, shared memory is the cheaper transport for any payload).
  bool full = false;
  const be::plan again = be::plan_call<embed_norm>(items.size(), {}, full);
  CHECK(std::string(be::explain(again).view()).find("crossover 0 B -> shared memory") != std::string::npos);
}

TEST_CASE("switches: disabled, forced, capped", "[api][config]") {
  settings_guard g;
  const auto v = iota_vec(64);
  be::settings s;
  s.disabled = true;
  be::set_settings(s);
  be::reset_statistics();
  be::map(slow_square{}, v);
  CHECK(be::statistics()[be::executor_kind::sequential].calls == 1);
  CHECK(be::statistics()[be::executor_kind::thread_pool].calls == 0);

  s = {};
  s.forced = be::executor_kind::thread_pool;
  be::set_settings(s);
  be::reset_statistics();
  CHECK(be::map(square{}, v)[10] == 100);
  CHECK(be::statistics()[be::executor_kind::thread_pool].calls == 1);

  // A call's own options win over nothing, and the kernel's traits over everything: a
  // thread-unsafe kernel forced onto threads runs sequentially.
  be::reset_statistics();
  be::map(not_thread_safe{}, v);
  CHECK(be::statistics()[be::executor_kind::thread_pool].calls == 0);
}

TEST_CASE("a plan can be forced per call, and an executor named per call", "[api]") {
  const auto v = iota_vec(100);
  be::call_options o;
  o.force = true;
  o.forced = be::executor_kind::thread_pool;
  be::reset_statistics();
  CHECK(be::map(square{}, v, o)[9] == 81);
  CHECK(be::statistics()[be::executor_kind::thread_pool].calls == 1);

  be::thread_pool mine(2);
  be::reset_statistics();
  CHECK(be::map(square{}, v, mine)[99] == 99L * 99);
  CHECK(be::statistics()[be::executor_kind::thread_pool].calls == 1);
  be::sequential_executor seq;
  CHECK(be::map(slow_square{}, v, seq)[7] == 49);
}

TEST_CASE("exceptions reach the caller with their type", "[api]") {
  const auto v = iota_vec(100);
  CHECK_THROWS_AS(be::map(picky{}, v), std::out_of_range);
  CHECK_THROWS_WITH(be::map(picky{}, v), "item 37");
  be::sequential_executor seq;
  CHECK_THROWS_AS(be::map(picky{}, v, seq), std::out_of_range);
  auto f = be::submit(picky{}, 37);
  CHECK_THROWS_AS(f.get(), std::out_of_range);
}

TEST_CASE("for_each runs every item once, submit returns futures", "[api]") {
  effects = 0;
  be::for_each(accumulate{}, iota_vec(1000));
  CHECK(effects.load() == 999L * 1000 / 2);
  be::for_each(slow_square{}, iota_vec(10));  // outputs discarded

  auto cheap = be::submit(square{}, 12);  // too cheap to dispatch: ready at once
  CHECK(cheap.wait_for(0s) == std::future_status::ready);
  CHECK(cheap.get() == 144);
  auto dear = be::submit(slow_square{}, 11);
  CHECK(dear.get() == 121);
}

TEST_CASE("kernels that are not thread-safe go to the process pool past break-even", "[api][process]") {
  settings_guard g;
  be::set_settings({});
  be::reset_statistics();
  const auto v = iota_vec(64);  // 64 x 5 ms of a thread-unsafe kernel
  const auto out = be::map(not_thread_safe{}, v);
  REQUIRE(out.size() == 64);
  CHECK(out[63] == 63);
  CHECK(be::statistics()[be::executor_kind::thread_pool].calls == 0);
  // The pipe or the shared segment: with a segment already mapped (by an earlier call),
  // shared memory costs only a copy and may win even for small payloads.
  if (be::runtime_profile().cores > 1)
    CHECK(be::statistics()[be::executor_kind::process_pool].calls + be::statistics()[be::executor_kind::shared_memory].calls == 1);
  auto f = be::submit(not_thread_safe{}, 7);
  CHECK(f.get() == 7);
  be::for_each(not_thread_safe{}, v);
}

namespace {
struct unknown_spin {  // cost not declared: about 20 us per item, measured by the library
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = be::unknown_cost;
  int operator()(const int& x) const {
    const auto end = std::chrono::steady_clock::now() + std::chrono::microseconds(20);
    while (std::chrono::steady_clock::now() < end) {
    }
    return x + 1;
  }
};
}  // namespace

TEST_CASE("an unknown cost is probed on the first call only, and every item still runs once", "[api][learn]") {
  be::learned_costs::global().reset();
  be::reset_statistics();
  const auto v = iota_vec(200);
  const auto first = be::map(unknown_spin{}, v);
  REQUIRE(first.size() == 200);
  for (int i = 0; i < 200; ++i) REQUIRE(first[static_cast<std::size_t>(i)] == i + 1);
  const auto after_first = be::statistics();
  CHECK(after_first.probes == 1);
  CHECK(after_first.probed_items >= 1);
  CHECK(after_first.probed_items < 200);
  const double learned = be::learned_costs::global().of<unknown_spin>().estimate_ns();
  CHECK(learned > 10'000);   // the kernel spins 20 us per item
  CHECK(learned < 200'000);

  const auto second = be::map(unknown_spin{}, v);
  CHECK(second == first);
  CHECK(be::statistics().probes == 1);  // decided from what the first call learned
  CHECK(be::statistics().total_calls() == 2);
}

namespace {
struct text_length {  // variable-size items: the plan sees their measured bytes
  using input_type = std::string;
  using output_type = std::size_t;
  static constexpr auto cost = std::chrono::microseconds{1};
  static constexpr std::size_t bytes_in(const std::string& s) { return s.size(); }
  std::size_t operator()(const std::string& s) const { return s.size(); }
};
}  // namespace

TEST_CASE("variable-size items are measured for the plan", "[api][bytes]") {
  const std::vector<std::string> texts(100, std::string(4096, 'x'));
  const be::kernel_desc d = be::detail::describe_batch<text_length>(texts);
  CHECK(d.bytes_in == 4096);
  CHECK(be::describe<text_length>().bytes_in == sizeof(std::string));
  CHECK(be::map(text_length{}, texts)[99] == 4096);
}

namespace {
struct declared_cheap_sleeps {  // declared at 1 ns: the fast path takes it; it sleeps 20 ms
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::nanoseconds{1};
  int operator()(const int& x) const {
    std::this_thread::sleep_for(20ms);
    return x;
  }
};
}  // namespace

TEST_CASE("a fast-path call's wall time reaches the statistics in nanoseconds", "[api][stats]") {
  settings_guard g;
  be::set_settings({});
  be::reset_statistics();
  bool full = true;
  (void)be::plan_call<declared_cheap_sleeps>(1, {}, full);
  REQUIRE_FALSE(full);  // the sequential fast path
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(be::map(declared_cheap_sleeps{}, std::vector<int>{7})[0] == 7);
  const auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0);
  const auto s = be::statistics()[be::executor_kind::sequential];
  CHECK(s.calls == 1);
  CHECK(s.wall_ns >= 19'000'000);  // the sleep, whichever clock timed it
  // and no more than the call took around it: not clock ticks counted as nanoseconds
  CHECK(s.wall_ns <= static_cast<std::uint64_t>(elapsed.count()) + 100'000);
}
