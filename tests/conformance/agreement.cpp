// One owner for every rule: decide(), select_t, the run-time path of map and the async
// route name the same executor, and that executor admits the kernel. A sweep over kernels x
// batches x profiles x options, then one named case for each disagreement found before
// decide() became the single producer of the plan.
//
// The run-time path is observed through the calls' plan hook (detail::plan_hook): plans
// that name a process executor are dry runs (nothing forks); sequential and thread-pool
// plans run for real, and the statistics say which executor ran.
#include <breakeven/asio/async.hpp>
#include <breakeven/breakeven.hpp>
#include <breakeven/stats.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace be = breakeven;
using be::executor_kind;

namespace conf {

/// A profile as a calibration of a small machine writes it.
struct calibrated_like {
  static constexpr be::machine_profile value{
      .name = "calibrated-like",
      .cores = 2,
      .thread_start_ns = 80'000,
      .thread_dispatch_ns = 400,
      .wake_ns = 50'000,
      .process_start_ns = 200'000,
      .process_dispatch_ns = 3'300,
      .pipe_ns_per_byte = 0.3,
      .shm_setup_ns = 4'000,
      .shm_page_ns = 1'000,
      .page_bytes = 4096,
      .memcpy_ns_per_byte = 0.07,
      .memory_bound_scaling = 1.5,
      .io_threads = 16,
      .overhead_factor = 2,
      .min_speedup = 1.2,
  };
};

/// A profile with hardly any overhead: its table says parallel where the default says sequential.
struct eager {
  static constexpr be::machine_profile value{
      .name = "eager",
      .cores = 2,
      .thread_dispatch_ns = 100,
      .process_dispatch_ns = 1'000,
      .io_threads = 4,
      .overhead_factor = 1,
      .min_speedup = 1.05,
  };
};

template <std::int64_t Ns>
struct cost_of {
  static constexpr auto value = std::chrono::nanoseconds{Ns};
};
template <>
struct cost_of<-1> {
  static constexpr auto value = be::unknown_cost;
};

/// A kernel of the grid; it does no work (the decisions need its traits only).
template <bool Safe, bool Iso, be::bound B, be::variance V, class In, std::int64_t CostNs>
struct k {
  using input_type = In;
  using output_type = int;
  static constexpr auto cost = cost_of<CostNs>::value;
  static constexpr bool thread_safe = Safe;
  static constexpr bool isolation = Iso;
  static constexpr be::bound bound = B;
  static constexpr be::variance variance = V;
  int operator()(const In&) const { return 1; }
};

using big = std::array<std::uint8_t, 1 << 16>;  // 64 KiB: shared memory's payloads
using huge = std::array<std::uint8_t, 1 << 20>; // 1 MiB
constexpr auto cpu = be::bound::cpu;
constexpr auto io = be::bound::io;
constexpr auto mem = be::bound::memory;
constexpr auto low = be::variance::low;
constexpr auto high = be::variance::high;

using safe_cheap = k<true, false, cpu, low, int, 2'000>;
using safe_heavy_high = k<true, false, cpu, high, int, 50'000'000>;
using unsafe_heavy = k<false, false, cpu, low, int, 50'000'000>;
using unsafe_string = k<false, false, cpu, low, std::string, 100'000>;    // transportable, not shm
using unsafe_view = k<false, false, cpu, low, std::string_view, 100'000>; // neither
using isolated = k<true, true, cpu, low, int, 1'000>;
using isolated_io = k<true, true, io, low, int, 5'000'000>;
using safe_io = k<true, false, io, low, int, 5'000'000>;
using safe_memory_high = k<true, false, mem, high, int, 10'000>;
using safe_unknown = k<true, false, cpu, low, int, -1>;
using unsafe_unknown = k<false, false, cpu, low, int, -1>;
using unsafe_big = k<false, false, cpu, low, big, 2'000'000>;
using safe_medium = k<true, false, cpu, low, int, 100'000>;
using forced_huge = k<false, false, cpu, low, huge, 200>;

// What an executor kind admits, from the kernel's description (the executors' own rules).
bool admits(executor_kind kind, const be::kernel_desc& d) {
  switch (kind) {
    case executor_kind::sequential: return !d.isolation;
    case executor_kind::thread_pool: return d.thread_safe && !d.isolation;
    case executor_kind::process_pool: return d.processes_built && d.transportable && (d.bound != be::bound::io || d.isolation);
    case executor_kind::shared_memory: return d.processes_built && d.shm_compatible && (d.bound != be::bound::io || d.isolation);
  }
  return false;
}

// The named options of the sweep.
struct named_options {
  const char* name;
  be::call_options o;
};
std::vector<named_options> option_set() {
  std::vector<named_options> v;
  v.push_back({"none", {}});
  be::call_options off;
  off.disabled = true;
  v.push_back({"disabled", off});
  for (executor_kind kind : be::all_executor_kinds) {
    be::call_options f;
    f.force = true;
    f.forced = kind;
    v.push_back({"forced", f});
    be::call_options fo = f;  // forcing never beats the off switch
    fo.disabled = true;
    v.push_back({"forced+disabled", fo});
  }
  be::call_options lat;
  lat.prio = be::priority::latency;
  v.push_back({"latency", lat});
  be::call_options as;
  as.async = true;
  v.push_back({"async", as});
  return v;
}

constexpr std::array<std::size_t, 7> batches{0, 1, 2, 7, 64, 513, 1'000'000};

// What the calls' hook saw last.
struct seen_t {
  be::plan p;
  bool full = false;
  be::call_options with;
  int calls = 0;
};
seen_t seen;

bool hook(const be::plan& p, bool full) {
  seen.p = p;
  seen.full = full;
  seen.with = be::detail::hooked_options();
  ++seen.calls;
  return !be::detail::is_process_kind(p.kind);  // processes: a dry run
}

// The static tree's agreement: every case here runs with learning off (BREAKEVEN_LEARN=0),
// under which a call's plan is exactly decide()'s; what learning changes is tested in
// core/feedback.cpp and api/learning.cpp.
struct hook_guard {
  hook_guard() {
    be::detail::plan_hook().store(&hook);
    be::set_settings({.learn = false});
  }
  ~hook_guard() {
    be::detail::plan_hook().store(nullptr);
    be::set_settings({});
  }
};

// The items of a batch of n (a million only for small item types).
template <class In>
const std::vector<In>& items(std::size_t n) {
  static std::vector<In> v;
  if (v.size() != n) v.assign(n, In{});
  return v;
}

// Checks one plan for internal consistency: its executor admits the kernel, the off switch
// and force behave as the guide says, the async route names the plan's executor.
bool plan_holds(const be::plan& p, const be::kernel_desc& d, const be::call_options& o) {
  const bool any = admits(executor_kind::sequential, d) || admits(executor_kind::process_pool, d) ||
                   admits(executor_kind::shared_memory, d);
  if (p.runnable() != any) return false;
  if (!any) return true;
  if (!admits(p.kind, d) || !p.of(p.kind).admissible) return false;
  if (o.disabled) {
    if (!d.isolation && p.kind != executor_kind::sequential) return false;
    if (d.isolation && p.workers != 1) return false;
  } else if (o.force && admits(o.forced, d) && p.kind != o.forced) {
    return false;
  }
  if (o.async && (p.route == be::async_route::executor) != (p.kind != executor_kind::sequential)) return false;
  // A process-pool plan whose profile prices transport keeps tasks within a ring, chosen or forced.
  if (p.kind == executor_kind::process_pool && o.chunk == 0 && p.chunk > 1 && d.bytes_in + d.bytes_out > 0 &&
      (p.profile == std::string_view("conservative") || p.profile == std::string_view("calibrated-like")) &&
      static_cast<double>(p.chunk) * (d.bytes_in + d.bytes_out) > static_cast<double>(be::limits::process_ring_bytes))
    return false;
  return true;
}
void check_plan(const be::plan& p, const be::kernel_desc& d, const be::call_options& o) {
  if (plan_holds(p, d, o)) return;
  FAIL(std::string(be::explain<2048>(p).view()));
}

// decide() over a grid of descriptions: every combination of the traits.
template <class P>
void sweep_descriptions() {
  const auto opts = option_set();
  std::size_t checked = 0;
  for (bool safe : {true, false})
    for (bool iso : {false, true})
      for (auto b : {cpu, io, mem})
        for (auto v : {low, high})
          for (int items_kind = 0; items_kind < 3; ++items_kind)  // both, transportable only, neither
            for (double cost : {-1.0, 200.0, 2'000.0, 100'000.0, 50e6})
              for (double bytes : {8.0, 65'536.0, 1'048'576.0})
                for (std::size_t n : batches)
                  for (const auto& no : opts) {
                    be::kernel_desc d{.cost_ns = cost, .bytes_in = bytes, .bytes_out = 4, .bound = b, .variance = v,
                                      .thread_safe = safe, .isolation = iso, .transportable = items_kind < 2,
                                      .shm_compatible = items_kind == 0};
                    const be::plan p = be::decide(d, n, P::value, no.o);
                    // The async route never changes the executor.
                    be::call_options sync = no.o;
                    sync.async = false;
                    be::call_options as = no.o;
                    as.async = true;
                    if (!plan_holds(p, d, no.o) ||
                        be::decide(d, n, P::value, as).kind != be::decide(d, n, P::value, sync).kind) {
                      INFO(P::value.name << " n " << n << " options " << no.name);
                      check_plan(p, d, no.o);
                      FAIL("the async route changed the executor");
                    }
                    ++checked;
                  }
  CHECK(checked == 2u * 2 * 3 * 2 * 3 * 5 * 3 * batches.size() * opts.size());
}

// select_t names the executor type of the plan decide() makes for a constant batch.
template <class Op, class P, std::size_t... N>
constexpr bool select_agrees(std::index_sequence<N...>) {
  return (std::is_same_v<be::select_t<Op, batches[N], P>,
                         be::executor_type_t<be::decide(be::describe<Op>(), batches[N], P::value).kind>> &&
          ...);
}
template <class Op, class... P>
constexpr bool select_agrees_all() {
  return (select_agrees<Op, P>(std::make_index_sequence<batches.size()>{}) && ...);
}

// The run-time path of map, and the async route, against decide() with the same inputs.
template <class Op, class P>
void sweep_calls(bool debug) {
  using M = std::conditional_t<std::is_same_v<P, be::runtime_profile_source>, be::map_fn<>, be::map_fn<P>>;
  const be::machine_profile& prof = be::profile_of<P>();
  const auto opts = option_set();
  for (std::size_t n : batches) {
    if (sizeof(be::input_t<Op>) > 4096 && n > 513) continue;  // 1e6 x 64 KiB does not fit the test machine
    const auto& in = items<be::input_t<Op>>(n);
    const std::span<const be::input_t<Op>> view(in.data(), n);
    for (const auto& no : opts) {
      if (debug && std::string_view(no.name) != "none") continue;
      INFO(be::kernel_traits<Op>::name << " [" << prof.name << "] n " << n << " options " << no.name
                                       << (debug ? " debug" : ""));
      be::set_settings({.debug = debug, .learn = false});
      be::reset_statistics();
      seen = {};
      if (no.o.async) {
        const auto ap = be::detail::plan_async<Op, P>(n, no.o);
        REQUIRE(seen.calls == 1);
        REQUIRE(ap.kind == seen.p.kind);
        REQUIRE(ap.route == seen.p.route);
        // The route names the plan's executor: off the caller's thread exactly when parallel.
        REQUIRE((ap.route == be::async_route::executor) == (ap.kind != executor_kind::sequential));
        be::call_options sync = seen.with;
        sync.async = false;
        REQUIRE(be::decide(be::describe<Op>(), seen.p.batch, prof, sync).kind == ap.kind);
        continue;
      }
      const auto out = M{}(Op{}, view, no.o);
      REQUIRE(seen.calls == 1);
      CHECK(std::string_view(seen.p.profile) == prof.name);  // one profile on every path
      be::kernel_desc d = be::detail::describe_batch<Op>(view);
      if (!be::kernel_traits<Op>::cost_known) d.cost_ns = seen.p.cost_ns;  // what the probe measured
      if (seen.full) {
        const be::plan expect = be::decide(d, seen.p.batch, prof, seen.with);
        REQUIRE(seen.p.kind == expect.kind);
        REQUIRE(seen.p.chunk == expect.chunk);  // the executors run the plan's schedule
        check_plan(seen.p, d, no.o);
      } else {
        // The fast path: sequential under every state of the pools.
        REQUIRE(seen.p.kind == executor_kind::sequential);
        for (bool spinning : {false, true})
          for (bool ready : {false, true})
            for (bool warm : {false, true}) {
              be::call_options s = no.o;
              s.workers_spinning = spinning;
              s.shm_segment_ready = ready;
              s.threads_warm = s.processes_warm = warm;
              REQUIRE(be::decide(d, n, prof, s).kind == executor_kind::sequential);
            }
      }
      // What ran is what the plan said (process plans were dry runs).
      if (!be::detail::is_process_kind(seen.p.kind)) {
        REQUIRE(be::statistics()[seen.p.kind].calls == 1);
        REQUIRE(out.size() == n);
      }
    }
  }
  be::set_settings({});
}

template <class Op>
void sweep_all_profiles(bool debug) {
  sweep_calls<Op, be::profiles::conservative>(debug);
  sweep_calls<Op, be::profiles::guide>(debug);
  sweep_calls<Op, be::profiles::lecture>(debug);
  sweep_calls<Op, calibrated_like>(debug);
  sweep_calls<Op, be::runtime_profile_source>(debug);
}

template <class... Op>
void sweep_kernels(bool debug) {
  (sweep_all_profiles<Op>(debug), ...);
}

}  // namespace conf

using namespace conf;

TEST_CASE("decide(): every plan's executor admits the kernel, for every trait combination", "[conformance][sweep]") {
  sweep_descriptions<be::profiles::conservative>();
  sweep_descriptions<be::profiles::guide>();
  sweep_descriptions<be::profiles::lecture>();
  sweep_descriptions<calibrated_like>();
}

TEST_CASE("select_t names the executor of the constant-evaluated plan", "[conformance][select]") {
  using be::profiles::conservative;
  using be::profiles::guide;
  using be::profiles::lecture;
  STATIC_REQUIRE(select_agrees_all<safe_cheap, conservative, guide, lecture, calibrated_like>());
  STATIC_REQUIRE(select_agrees_all<safe_heavy_high, conservative, guide, lecture, calibrated_like>());
  STATIC_REQUIRE(select_agrees_all<unsafe_heavy, conservative, guide, lecture, calibrated_like>());
  STATIC_REQUIRE(select_agrees_all<unsafe_string, conservative, guide, lecture, calibrated_like>());
  STATIC_REQUIRE(select_agrees_all<unsafe_view, conservative, guide, lecture, calibrated_like>());
  STATIC_REQUIRE(select_agrees_all<isolated, conservative, guide, lecture, calibrated_like>());
  STATIC_REQUIRE(select_agrees_all<isolated_io, conservative, guide, lecture, calibrated_like>());
  STATIC_REQUIRE(select_agrees_all<safe_io, conservative, guide, lecture, calibrated_like>());
  STATIC_REQUIRE(select_agrees_all<safe_memory_high, conservative, guide, lecture, calibrated_like>());
  STATIC_REQUIRE(select_agrees_all<safe_unknown, conservative, guide, lecture, calibrated_like>());
  STATIC_REQUIRE(select_agrees_all<unsafe_big, conservative, guide, lecture, calibrated_like>());
  // Each selected type admits its kernel.
  STATIC_REQUIRE(be::admits_v<be::select_t<isolated_io, 64, conservative>, isolated_io>);
  STATIC_REQUIRE(be::admits_v<be::select_t<unsafe_view, 64, conservative>, unsafe_view>);
  STATIC_REQUIRE(be::admits_v<be::select_t<unsafe_big, 513, calibrated_like>, unsafe_big>);
}

TEST_CASE("map and the async route run what decide() says, with the profile the call names", "[conformance][calls]") {
  hook_guard guard;
  be::executor_registry::instance().threads();  // started: the plans then weigh a warm pool
  sweep_kernels<safe_cheap, safe_heavy_high, unsafe_heavy, unsafe_string, unsafe_view, isolated, isolated_io, safe_io,
                safe_memory_high, safe_unknown, unsafe_unknown, unsafe_big>(false);
}

TEST_CASE("turning the log on never changes a call's decision", "[conformance][calls][debug]") {
  hook_guard guard;
  std::vector<executor_kind> quiet, logged;
  const auto record = [&](std::vector<executor_kind>& into, bool debug) {
    be::set_settings({.debug = debug, .learn = false});
    for (std::size_t n : batches) {
      if (n > 513) continue;
      const std::vector<int> in(n);
      seen = {};
      (void)be::map_with<be::profiles::guide>(safe_medium{}, in);
      into.push_back(seen.p.kind);
      seen = {};
      (void)be::map(safe_medium{}, in);
      into.push_back(seen.p.kind);
      seen = {};
      (void)be::map_with<eager>(safe_cheap{}, in);
      into.push_back(seen.p.kind);
    }
  };
  record(quiet, false);
  record(logged, true);
  CHECK(quiet == logged);
}

// The disagreements, one case each.

TEST_CASE("async route: a thread-unsafe kernel planned on shared memory leaves the caller's thread",
          "[conformance][named][async]") {
  hook_guard guard;
  using P = be::profiles::conservative;
  constexpr std::size_t n = 64;
  constexpr be::plan p = be::plan_for<unsafe_big, P>(n);
  STATIC_REQUIRE(p.kind == executor_kind::shared_memory);
  const auto ap = be::detail::plan_async<unsafe_big, P>(n, {});
  CHECK(ap.kind == executor_kind::shared_memory);
  CHECK(ap.route == be::async_route::executor);
  CHECK_FALSE(be::async_runs_inline<unsafe_big, P>(n));
}

TEST_CASE("the profile a call names decides every path of it", "[conformance][named][profile]") {
  hook_guard guard;
  // 2 us x 64: the eager profile's table says parallel, the default's says sequential.
  STATIC_REQUIRE(be::plan_for<safe_cheap, eager>(64).kind == executor_kind::thread_pool);
  STATIC_REQUIRE(be::plan_for<safe_cheap, be::profiles::conservative>(64).kind == executor_kind::sequential);
  const std::vector<int> in(64);
  be::reset_statistics();
  seen = {};
  (void)be::map_with<eager>(safe_cheap{}, in);
  CHECK(std::string_view(seen.p.profile) == "eager");
  CHECK(seen.p.kind == executor_kind::thread_pool);
  CHECK(be::statistics()[executor_kind::thread_pool].calls == 1);
  // And the other way: 100 us x 64 is parallel by default, sequential under the guide's 100 ms.
  STATIC_REQUIRE(be::plan_for<safe_medium, be::profiles::guide>(64).kind == executor_kind::sequential);
  seen = {};
  (void)be::map_with<be::profiles::guide>(safe_medium{}, in);
  CHECK(std::string_view(seen.p.profile) == "guide");
  CHECK(seen.p.kind == executor_kind::sequential);
  seen = {};
  (void)be::submit_with<eager>(safe_heavy_high{}, 1).get();
  CHECK(std::string_view(seen.p.profile) == "eager");
}

TEST_CASE("turning the log on keeps a named profile's sequential verdict", "[conformance][named][debug]") {
  hook_guard guard;
  const std::vector<int> in(64);
  for (bool debug : {false, true}) {
    be::set_settings({.debug = debug, .learn = false});
    seen = {};
    (void)be::map_with<be::profiles::guide>(safe_medium{}, in);
    CHECK(seen.p.kind == executor_kind::sequential);
    CHECK(std::string_view(seen.p.profile) == "guide");
  }
}

TEST_CASE("an isolated I/O-bound kernel goes to processes in decide(), select_t and map", "[conformance][named][isolation]") {
  hook_guard guard;
  using P = be::profiles::conservative;
  const be::plan p = be::decide(be::describe<isolated_io>(), 8, P::value);
  CHECK(p.kind == executor_kind::process_pool);
  CHECK(std::string(be::explain(p).view()).find("I/O-bound, but isolation required -> process executors") !=
        std::string::npos);
  STATIC_REQUIRE(std::is_same_v<be::select_t<isolated_io, 8, P>, be::process_pool>);
  seen = {};
  (void)be::map_with<P>(isolated_io{}, std::vector<int>(8));
  CHECK(seen.p.kind == executor_kind::process_pool);
}

TEST_CASE("the off switch beats force", "[conformance][named][disabled]") {
  hook_guard guard;
  be::call_options o;
  o.disabled = true;
  o.force = true;
  o.forced = executor_kind::thread_pool;
  const be::plan p = be::decide(be::describe<safe_heavy_high>(), 100, be::profiles::guide::value, o);
  CHECK(p.kind == executor_kind::sequential);
  CHECK(std::string(be::explain(p).view()).find("forced thread_pool ignored: parallelism disabled") != std::string::npos);
  // The same through the switches a program sets (BREAKEVEN_DISABLE and BREAKEVEN_FORCE).
  be::set_settings({.disabled = true, .forced = executor_kind::thread_pool, .learn = false});
  be::reset_statistics();
  seen = {};
  (void)be::map_with<be::profiles::guide>(safe_heavy_high{}, std::vector<int>(100));
  CHECK(seen.p.kind == executor_kind::sequential);
  CHECK(be::statistics()[executor_kind::sequential].calls == 1);
  // Isolation still leaves the caller's process, on one worker, and says why.
  const be::plan iso = be::decide(be::describe<isolated>(), 100, be::profiles::guide::value, o);
  CHECK(iso.kind == executor_kind::process_pool);
  CHECK(iso.workers == 1);
}

TEST_CASE("a forced process pool runs the payload cut a chosen one would", "[conformance][named][forced]") {
  hook_guard guard;
  using P = be::profiles::conservative;
  be::call_options o;
  o.force = true;
  o.forced = executor_kind::process_pool;
  // 64 items of 1 MiB at 0.2 us: one item per task, not 32 MiB tasks.
  const be::plan p = be::decide(be::describe<forced_huge>(), 64, P::value, o);
  REQUIRE(p.kind == executor_kind::process_pool);
  CHECK(p.chunk == 1);
  CHECK(p.tasks == 64);
  // The same through map and BREAKEVEN_FORCE: the executor gets the plan's schedule.
  be::set_settings({.forced = executor_kind::process_pool, .learn = false});
  std::vector<huge> in(64);
  seen = {};
  (void)be::map_with<P>(forced_huge{}, in);
  CHECK(seen.p.kind == executor_kind::process_pool);
  CHECK(seen.p.schedule().chunk == 1);
}

TEST_CASE("the constants the decision prices are the executors' defaults", "[conformance][limits]") {
  CHECK(be::process_pool_options{}.ring_bytes == be::limits::process_ring_bytes);
  CHECK(be::shared_memory_options{}.segment.retain_bytes == be::limits::shm_retain_bytes);
}
