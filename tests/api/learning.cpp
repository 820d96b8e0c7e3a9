// The call path's side of learning (feedback.hpp): every call feeds its time back, a kernel
// measured costlier than declared leaves the fast path, and one switch (BREAKEVEN_LEARN /
// settings::learn, or call_options::learn) makes every decision exactly the static one.
#include "common.hpp"

#include <breakeven/api.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace be = breakeven;
using namespace std::chrono_literals;
using api_test::iota_vec;
using api_test::settings_guard;
using be::executor_kind;

namespace {

// Declares 1 us an item; spins at least 4 us: a quarter of its real cost.
struct understated {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = 1us;
  int operator()(const int& x) const {
    const auto until = std::chrono::steady_clock::now() + 4us;
    while (std::chrono::steady_clock::now() < until) {
    }
    return x + 1;
  }
};

// Declared 1 us, for plans only (never run here).
struct planned_only {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = 1us;
  int operator()(const int& x) const { return x; }
};

struct seen_plan {
  be::plan p;
  be::call_options o;
  bool full = false;
};
seen_plan seen;
bool dry_run(const be::plan& p, bool full) {
  seen.p = p;
  seen.full = full;
  if (full) seen.o = be::detail::hooked_options();
  return false;
}
struct hook_guard {
  hook_guard() { be::detail::plan_hook().store(&dry_run); }
  ~hook_guard() { be::detail::plan_hook().store(nullptr); }
};

// Corrections as far from the profile as a file may hold: cheap work, dear transport and set-up.
void teach_extremes(be::kernel_feedback& fb) {
  be::correction_entry e{std::string(be::kernel_traits<planned_only>::name), "m", {}};
  e.executors[0] = {8, 1, 1, 0.01, 20};
  for (std::size_t k = 1; k < be::executor_kind_count; ++k) e.executors[k] = {0.2, 8, 0.1, 0.01, 20};
  fb.reset();
  fb.seed(e);
}

}  // namespace

TEST_CASE("learning switched off: every call's plan is decide()'s static one", "[api][learn]") {
  settings_guard g;
  hook_guard h;
  be::kernel_feedback& fb = be::detail::feedback_of<planned_only>();
  teach_extremes(fb);
  REQUIRE(fb.stats().calls != 0);

  const auto static_plan_agrees = [](std::size_t n, const be::call_options& o) {
    seen = {};
    (void)be::map(planned_only{}, std::vector<int>(n), o);
    if (!seen.full) return seen.p.kind == be::decide(be::describe<planned_only>(), n, be::runtime_profile(), {}).kind;
    const be::plan want = be::decide(be::describe<planned_only>(), n, be::runtime_profile(), seen.o);
    bool same = seen.p.kind == want.kind && seen.p.chunk == want.chunk && seen.p.reason_count == want.reason_count;
    for (executor_kind e : be::all_executor_kinds) same = same && seen.p.of(e).estimate_ns() == want.of(e).estimate_ns();
    return same;
  };
  std::size_t differ_on = 0;
  for (std::size_t n : {0u, 1u, 2u, 7u, 64u, 513u, 4'096u, 100'000u}) {
    be::set_settings({.learn = false});
    CHECK(static_plan_agrees(n, {}));                    // BREAKEVEN_LEARN=0
    CHECK(static_plan_agrees(n, {.prio = be::priority::latency}));
    be::set_settings({});
    CHECK(static_plan_agrees(n, {.learn = false}));      // call_options::learn
    differ_on += static_plan_agrees(n, {}) ? 0 : 1;      // learning on: the corrections show
  }
  CHECK(differ_on != 0);
  fb.reset();
}

TEST_CASE("a kernel measured costlier than declared leaves the fast path; learning off brings it back",
          "[api][learn]") {
  settings_guard g;
  be::set_settings({});
  be::kernel_feedback fb("fast path");
  bool full = true;
  constexpr std::size_t n = 8;  // 8 x 1 us: surely sequential on the profile's terms
  (void)be::plan_call<planned_only>(n, {}, full, be::describe<planned_only>(), &fb);
  REQUIRE_FALSE(full);
  fb.record_sequential(8'000, 32'000);  // measured four times the declared work
  REQUIRE(fb.leaves_fast_path());
  const be::plan p = be::plan_call<planned_only>(n, {}, full, be::describe<planned_only>(), &fb);
  CHECK(full);
  CHECK(p.of(executor_kind::sequential).estimate_ns() == Approx(32'000));
  be::set_settings({.learn = false});
  (void)be::plan_call<planned_only>(n, {}, full, be::describe<planned_only>(), &fb);
  CHECK_FALSE(full);
}

TEST_CASE("batches a kernel's corrections make surely sequential take the fast path again", "[api][learn]") {
  settings_guard g;
  be::set_settings({});
  be::kernel_feedback& fb = be::detail::feedback_of<planned_only>();
  fb.reset();
  const be::kernel_desc d = be::describe<planned_only>();
  const be::machine_profile& prof = be::runtime_profile();
  fb.record_sequential(8'000, 12'000);  // measured 1.5x the declared work
  REQUIRE(fb.leaves_fast_path());
  CHECK(fb.learned_fast_limit() == 0);
  CHECK(fb.needs_fast_limit(2));
  bool full = false;
  (void)be::plan_call<planned_only>(2, {}, full, d, &fb);
  CHECK(full);  // left: nothing is known of its batches yet

  // A call that ran sequentially finds the limit (here: the call path's own step).
  be::detail::learn_fast_limit<planned_only, be::runtime_profile_source>(fb, 2);
  const std::size_t limit = fb.learned_fast_limit();
  REQUIRE(limit >= 1);
  REQUIRE(limit <= be::fast_path_limit(d, prof));
  CHECK_FALSE(fb.needs_fast_limit(limit - 1));
  // Below it: the fast path, and the full decision with the corrections says what it says
  // (sequential, exploring nothing) whatever the pools' state.
  for (std::size_t n = 0; n < limit; ++n) {
    INFO("n " << n);
    (void)be::plan_call<planned_only>(n, {}, full, d, &fb);
    CHECK_FALSE(full);
    for (bool spinning : {false, true}) {
      be::call_options o;
      o.workers_spinning = spinning;
      o.shm_segment_ready = spinning;
      const be::plan p = fb.explore(be::decide(d, n, prof, o, fb.corrections()), o);
      CHECK(p.kind == executor_kind::sequential);
      CHECK_FALSE(be::explored(p));
    }
  }
  // From it on (when it was found complete): the full decision.
  if (!fb.needs_fast_limit(limit)) {
    (void)be::plan_call<planned_only>(limit, {}, full, d, &fb);
    CHECK(full);
  }

  SECTION("a parallel run, or sequential work past the limit's headroom, forgets it") {
    const be::plan p = be::decide(d, 4'096, prof, {}, fb.corrections());
    REQUIRE(p.kind != executor_kind::sequential);
    fb.record(p, p.kind, p.estimate_ns());
    CHECK(fb.learned_fast_limit() == 0);
    be::detail::learn_fast_limit<planned_only, be::runtime_profile_source>(fb, 2);
    REQUIRE(fb.learned_fast_limit() >= 1);
    for (int i = 0; i < 8; ++i) fb.record_sequential(8'000, 24'000);  // now 3x: past 1.5 x 1.1
    CHECK(fb.learned_fast_limit() == 0);
    (void)be::plan_call<planned_only>(1, {}, full, d, &fb);
    CHECK(full);
  }
  SECTION("through map: the call that runs sequentially finds it") {
    fb.reset();
    fb.record_sequential(8'000, 12'000);
    REQUIRE(fb.learned_fast_limit() == 0);
    CHECK(be::map(planned_only{}, std::vector<int>{7})[0] == 7);
    CHECK(fb.learned_fast_limit() >= 1);
  }
  fb.reset();
}

TEST_CASE("every measured call feeds back; none does with learning off", "[api][learn]") {
  settings_guard g;
  be::set_settings({});
  be::kernel_feedback& fb = be::detail::feedback_of<understated>();
  fb.reset();
  const auto v = iota_vec(64);  // 64 us declared: a call long enough to teach
  for (int i = 0; i < 5; ++i) CHECK(be::map(understated{}, v)[63] == 64);
  CHECK(fb.stats().calls == 5);
  // It spins 4 us an item at least, whatever ran it: the sequential work is at least ~3x
  // the declared (minus what sharing the machine can only add).
  if (fb.stats().runs[0] != 0) CHECK(fb.corrections().work[0] > 2.5);
  be::set_settings({.learn = false});
  for (int i = 0; i < 3; ++i) (void)be::map(understated{}, v);
  (void)be::map(understated{}, v, be::call_options{.learn = false});
  CHECK(fb.stats().calls == 5);
  fb.reset();
}
