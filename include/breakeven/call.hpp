// breakeven/call.hpp - what the library's calls run on: one lazily started instance of
// each executor, the profile a call decides with, and the per-call plan (a sequential fast
// path that gives exactly the decision of the full tree, the full tree otherwise).
#pragma once

#include <breakeven/break_even_table.hpp>
#include <breakeven/config.hpp>
#include <breakeven/decide.hpp>
#include <breakeven/feedback.hpp>
#include <breakeven/profile_io.hpp>
#include <breakeven/executor/process_pool.hpp>
#include <breakeven/executor/sequential.hpp>
#include <breakeven/executor/shared_memory.hpp>
#include <breakeven/executor/thread_pool.hpp>
#include <breakeven/stats.hpp>

#include <atomic>
#include <concepts>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <unistd.h>

namespace breakeven {

/// The profile run-time decisions use: BREAKEVEN_PROFILE's file (a calibration, cores
/// included), else the build's default profile with the cores this process can use.
inline const machine_profile& runtime_profile() noexcept {
  static const machine_profile p = [] {
    const profile_document& doc = environment_profile();
    machine_profile m = doc.profile;
    if (doc.source.empty())
      if (const unsigned hc = std::thread::hardware_concurrency(); hc != 0) m.cores = hc;
    return m;
  }();
  return p;
}

/// One instance of each executor, started on first use and shared by every call that
/// does not name its own executor.
class executor_registry {
 public:
  /// The process-wide registry.
  static executor_registry& instance() {
    static executor_registry r;
    return r;
  }
  sequential_executor& sequential() noexcept { return seq_; }
  /// The shared thread pool, started on first use.
  breakeven::thread_pool& threads() {
    std::call_once(threads_once_, [this] {
      threads_ = std::make_unique<breakeven::thread_pool>();
      threads_started_.store(true, std::memory_order_release);
    });
    return *threads_;
  }
  /// True once the shared thread pool exists.
  bool threads_started() const noexcept { return threads_started_.load(std::memory_order_acquire); }

  /// The shared worker processes with their shared segment, started on first use. The
  /// process pool and the shared-memory executor are the same workers: items travel
  /// through the frames or stay in the segment, call by call. The workers come from the
  /// fork server: call breakeven::process_runtime::init first thing in main. Only a
  /// translation unit whose kernel the process executors take (processes_built_v) calls
  /// this, so only it compiles the process machinery: the registry holds the workers through
  /// an owner that erases their type.
  breakeven::shared_memory_pool& shared_memory() {
    std::call_once(processes_once_, [this] {
      auto* pool = new breakeven::shared_memory_pool();
      shm_ = {pool, [](void* q) { delete static_cast<breakeven::shared_memory_pool*>(q); }};
      segment_ready_ = [](void* q, std::size_t bytes) {
        return static_cast<breakeven::shared_memory_pool*>(q)->segment_ready(bytes);
      };
      processes_started_.store(true, std::memory_order_release);
      // The fork server stops in an exit handler registered when it started; this one,
      // registered after it, runs before it, so the workers are shut down while it lives.
      std::atexit([] { instance().shm_.reset(); });
    });
    return *static_cast<breakeven::shared_memory_pool*>(shm_.get());
  }
  /// True when the shared worker processes exist and their segment already holds `bytes`
  /// (a failed lock: false). Compiles no process machinery.
  bool segment_ready(std::size_t bytes) noexcept {
    if (!processes_started()) return false;
    try {
      return segment_ready_(shm_.get(), bytes);
    } catch (...) {
      return false;
    }
  }
  /// The shared process pool (the shared-memory executor's workers).
  breakeven::process_pool& processes() { return shared_memory().processes(); }
  /// True once the shared worker processes exist.
  bool processes_started() const noexcept { return processes_started_.load(std::memory_order_acquire); }

  /// Which executor kinds this program has built in.
  static constexpr std::array<bool, executor_kind_count> available{true, true, true, true};

 private:
  executor_registry() = default;
  sequential_executor seq_;
  std::once_flag threads_once_, processes_once_;
  std::unique_ptr<breakeven::thread_pool> threads_;
  std::unique_ptr<void, void (*)(void*)> shm_{nullptr, [](void*) {}};
  bool (*segment_ready_)(void*, std::size_t) = nullptr;
  std::atomic<bool> threads_started_{false}, processes_started_{false};
};

/// This machine as learned corrections are keyed: its host name and its hardware threads.
inline std::string machine_key() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::snprintf(host, sizeof host, "unknown");
  return std::string(host) + ":" + std::to_string(std::thread::hardware_concurrency());
}

/// The corrections this process learns (feedback.hpp), started from BREAKEVEN_PROFILE's
/// entries measured on this machine; entries of another machine are reported once and ignored.
inline feedback_registry& learned_corrections() {
  static feedback_registry registry(machine_key());
  static const bool seeded = [] {
    const profile_document& doc = environment_profile();
    for (const std::string& why : registry.preload(doc.corrections))
      std::fprintf(stderr, "breakeven: %s: %s\n", doc.source.c_str(), why.c_str());
    return true;
  }();
  (void)seeded;
  return registry;
}

namespace detail {

// Kernel `Op`'s corrections, looked up once.
template <operation Op>
kernel_feedback& feedback_of() {
  static kernel_feedback& f = learned_corrections().of<Op>();
  return f;
}

// The options of one call merged with the switches in force and the pools' state;
// `payload_bytes` (the call's inputs and outputs) tells whether the shared segment holds
// enough memory already.
inline call_options merge(call_options o, const settings& s, std::size_t payload_bytes = 0) noexcept {
  if (s.disabled) o.disabled = true;
  if (s.max_workers != 0 && (o.max_workers == 0 || s.max_workers < o.max_workers)) o.max_workers = s.max_workers;
  if (s.forced && !o.force) {
    o.force = true;
    o.forced = *s.forced;
  }
  for (std::size_t i = 0; i < executor_kind_count; ++i) o.available[i] = o.available[i] && executor_registry::available[i];
  if (s.no_processes) {
    o.available[static_cast<std::size_t>(executor_kind::process_pool)] = false;
    o.available[static_cast<std::size_t>(executor_kind::shared_memory)] = false;
  }
  auto& reg = executor_registry::instance();
  o.threads_warm = reg.threads_started();
  o.processes_warm = reg.processes_started();
  o.workers_spinning = reg.threads_started() && reg.threads().spinning();
  o.shm_segment_ready = reg.segment_ready(payload_bytes);
  return o;
}

// True when nothing about this call's options departs from what the compile-time table
// assumed (the switches are switches_plain()'s to say).
inline bool plain_options(const call_options& o) noexcept {
  return !o.disabled && !o.force && !o.async && o.chunk == 0 && o.max_workers == 0 && o.prio == priority::throughput;
}

inline void log_plan(const plan& p, std::string_view kernel) {
  const std::string text(explain<2048>(p).view());
  std::fprintf(stderr, "breakeven: %.*s: %s\n", static_cast<int>(kernel.size()), kernel.data(), text.c_str());
}

}  // namespace detail

/// The profile a call that names none decides with: runtime_profile() (BREAKEVEN_PROFILE's
/// file, else the build's default profile with this process's cores), on every path of the
/// call. map_with<P> and the other *_with<P> entry points decide with P::value instead.
struct runtime_profile_source {};

/// A profile a call can decide with: a compile-time profile source, or the run-time one.
template <class P>
concept call_profile = profile_source<P> || std::same_as<P, runtime_profile_source>;

/// The machine profile of call profile `P`.
template <call_profile P>
const machine_profile& profile_of() noexcept {
  if constexpr (std::same_as<P, runtime_profile_source>) return runtime_profile();
  else return P::value;
}

/// The smallest batch up to `cap` for which `sure(n)` is false; `cap` when every batch up to
/// it is sure. Batches up to exact_batch_limit are checked one by one (integer chunking is
/// not monotone there), larger ones by exponential and binary search.
template <class Sure>
constexpr std::size_t first_unsure(Sure&& sure, std::size_t cap) noexcept {
  const std::size_t exact = cap < exact_batch_limit ? cap : exact_batch_limit;
  for (std::size_t n = 0; n <= exact; ++n)
    if (!sure(n)) return n;
  if (exact == cap) return cap;
  std::size_t lo = exact_batch_limit;  // sure
  std::size_t step = 1;
  while (lo + step <= cap && sure(lo + step)) {
    lo += step;
    step *= 2;
  }
  if (lo + step > cap) return cap;
  std::size_t hi = lo + step;  // not sure
  while (hi - lo > 1) {
    const std::size_t mid = lo + (hi - lo) / 2;
    if (sure(mid)) lo = mid;
    else hi = mid;
  }
  return hi;
}

/// The smallest batch of kernel `k` under `p` that is not surely sequential (see
/// surely_sequential): every smaller batch takes the fast path; break_even_search_limit
/// when every batch is.
constexpr std::size_t fast_path_limit(const kernel_desc& k, const machine_profile& p) noexcept {
  return first_unsure([&](std::size_t n) { return surely_sequential(k, n, p); }, break_even_search_limit);
}

/// The fast-path limit of kernel `Op` under a compile-time profile source, a constant.
template <operation Op, profile_source P>
inline constexpr std::size_t fast_path_limit_v = fast_path_limit(describe<Op>(), P::value);

namespace detail {

// The fast-path limit of `Op` under the run-time profile: the build default's constant when
// the run-time profile is that one, else computed once (a few hundred decisions) and kept.
template <operation Op>
std::size_t runtime_fast_path_limit() {
  static const std::size_t limit = [] {
    if (runtime_profile() == default_profile::value) return fast_path_limit_v<Op, default_profile>;
    return fast_path_limit(describe<Op>(), runtime_profile());
  }();
  return limit;
}

// True when a call of `n` items of `Op` under `P` is surely sequential: a constant when the
// batch is in the range's type and the profile is a compile-time one, else one comparison.
template <operation Op, call_profile P, std::size_t StaticN>
bool fast_sequential(std::size_t n) {
  if constexpr (std::same_as<P, runtime_profile_source>) {
    return n < runtime_fast_path_limit<Op>();
  } else if constexpr (StaticN != 0) {
    constexpr bool sequential = surely_sequential(describe<Op>(), StaticN, P::value);
    return sequential;
  } else {
    return n < fast_path_limit_v<Op, P>;
  }
}

// True when a call of `n` items of `Op` with options `o` takes the sequential fast path: a
// kernel whose cost is a constant, no switch set (logging included: a logged call is decided
// in full to print it, to the same verdict), plain options, and a batch the full tree could
// only run sequentially. A few relaxed loads and one comparison; no plan is built.
// With `fb` (the kernel's feedback) and learning on, a kernel measured costlier than
// declared leaves the fast path, whose table assumes the declared cost, except for batches
// under the limit its corrections were found surely sequential for (learn_fast_limit).
template <operation Op, call_profile P, std::size_t StaticN>
bool sequential_fast_path(std::size_t n, const call_options& o, const kernel_feedback* fb = nullptr) {
  using kt = kernel_traits<Op>;
  if constexpr (kt::cost_known && !kt::variable_bytes_in && !kt::cost_per_item_varies)
    return switches_plain() && plain_options(o) &&
           !(fb != nullptr && fb->leaves_fast_path() && o.learn && learning_enabled() &&
             n >= fb->learned_fast_limit()) &&
           fast_sequential<Op, P, StaticN>(n);
  else
    return false;
}

// After a full call of `n` items of `Op` under `P` that ran sequentially on a kernel that
// left the fast path: finds the batches below which its calls are surely sequential with
// its corrections (work factors taken 10% over today's, so that the limit holds while the
// sequential work stays under that), up to n + 1, and gives the limit to `fb`. A few
// decisions per batch size checked, once for each time the corrections move past it.
template <operation Op, call_profile P>
void learn_fast_limit(kernel_feedback& fb, std::size_t n) {
  constexpr double headroom = 1.1;
  const model_corrections mc = fb.corrections();
  model_corrections wider = mc;
  for (double& w : wider.work) w *= headroom;
  std::array<double, executor_kind_count> reach{};
  for (executor_kind k : all_executor_kinds) reach[static_cast<std::size_t>(k)] = fb.explore_reach(k);
  const kernel_desc d = describe<Op>();
  const machine_profile& prof = profile_of<P>();
  const double floor = learn_policy{}.min_feedback_ns;
  const std::size_t cap = n + 1;
  const std::size_t limit =
      first_unsure([&](std::size_t m) { return surely_sequential_learned(d, m, prof, wider, reach, floor); }, cap);
  fb.set_learned_fast_limit(limit, limit < cap, mc.calls, mc.of(mc.work, executor_kind::sequential) * headroom);
}

/// A test's view of every call's plan before it runs: returns false to run nothing (a dry
/// run). Null in programs; tests set it to check that calls run what decide() says.
using plan_hook_fn = bool (*)(const plan& p, bool full);
inline std::atomic<plan_hook_fn>& plan_hook() noexcept {
  static std::atomic<plan_hook_fn> hook{nullptr};
  return hook;
}
// The options (switches and pools' state merged in) the calling thread's last full
// decision used; written only while a hook is set, for the hook to read.
inline call_options& hooked_options() noexcept {
  thread_local call_options o;
  return o;
}
// Calls the hook, if any: false when the call must run nothing.
inline bool call_proceeds(const plan& p, bool full) {
  const plan_hook_fn h = plan_hook().load(std::memory_order_relaxed);
  return h == nullptr || h(p, full);
}

}  // namespace detail

/// The plan for one call of kernel `Op` over `n` items, decided with profile `P` on every
/// path: a sequential fast path (one comparison, a constant when the batch is in the range's
/// type) where the full tree could only say sequential whatever the pools' state, the full
/// decision with the pools' state and the switches otherwise. `full` is false when the fast
/// path was taken (the plan then holds only kind, batch and profile). Turning the log on
/// (BREAKEVEN_DEBUG) decides such a call in full to print it: the decision is the same.
/// `desc` describes the kernel for this batch (describe<Op>() with measured bytes or a
/// learned cost filled in). With `fb` (the kernel's feedback) and learning on (settings::learn
/// and call_options::learn), the estimates take its corrections and the call may explore;
/// a kernel measured costlier than declared leaves the fast path (whose table assumes the
/// declared cost).
template <operation Op, call_profile P = runtime_profile_source, std::size_t StaticN = 0>
plan plan_call(std::size_t n, const call_options& options, bool& full, const kernel_desc& desc = describe<Op>(),
               kernel_feedback* fb = nullptr) {
  const machine_profile& prof = profile_of<P>();
  full = false;
  // An item-dependent cost (cost_of, cost_per_byte) or a measured item size is the batch's:
  // such kernels always get the full decision.
  if (detail::sequential_fast_path<Op, P, StaticN>(n, options, fb)) {
    plan p;
    p.batch = n;
    p.cost_ns = desc.cost_ns;
    p.profile = prof.name;
    return p;
  }
  full = true;
  const settings s = current_settings();
  const bool learn = fb != nullptr && s.learn && options.learn;
  const auto payload = static_cast<std::size_t>(static_cast<double>(n) * (desc.bytes_in + desc.bytes_out));
  const call_options merged = detail::merge(options, s, payload);
  if (detail::plan_hook().load(std::memory_order_relaxed) != nullptr) detail::hooked_options() = merged;
  if (!learn) return decide(desc, n, prof, merged);
  return fb->explore(decide(desc, n, prof, merged, fb->corrections()), merged);
}

}  // namespace breakeven
