// breakeven/runtime.hpp - what the library's calls run on: one lazily started instance of
// each executor, the run-time profile, and the per-call plan (the compile-time table first,
// the full decision only past break-even).
#pragma once

#include <breakeven/break_even.hpp>
#include <breakeven/config.hpp>
#include <breakeven/decide.hpp>
#include <breakeven/profile_io.hpp>
#include <breakeven/executor/process_pool.hpp>
#include <breakeven/executor/sequential.hpp>
#include <breakeven/executor/shared_memory.hpp>
#include <breakeven/executor/thread_pool.hpp>
#include <breakeven/select.hpp>
#include <breakeven/stats.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

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
  /// fork server: call breakeven::process_runtime::init first thing in main.
  breakeven::shared_memory_pool& shared_memory() {
    std::call_once(processes_once_, [this] {
      shm_ = std::make_unique<breakeven::shared_memory_pool>();
      processes_started_.store(true, std::memory_order_release);
      // The fork server stops in an exit handler registered when it started; this one,
      // registered after it, runs before it, so the workers are shut down while it lives.
      std::atexit([] { instance().shm_.reset(); });
    });
    return *shm_;
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
  std::unique_ptr<breakeven::shared_memory_pool> shm_;
  std::atomic<bool> threads_started_{false}, processes_started_{false};
};

namespace detail {

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
  o.shm_segment_ready = false;
  if (reg.processes_started()) {
    try {
      o.shm_segment_ready = reg.shared_memory().segment_ready(payload_bytes);
    } catch (...) {  // a failed lock: not ready
    }
  }
  return o;
}

// True when nothing about this call departs from what the compile-time table assumed.
inline bool plain_call(const call_options& o, const settings& s) noexcept {
  return !s.disabled && !s.no_processes && s.max_workers == 0 && !s.forced && !o.disabled && !o.force &&
         o.chunk == 0 && o.max_workers == 0 && o.prio == priority::throughput;
}

inline void log_plan(const plan& p, std::string_view kernel) {
  const std::string text(explain<2048>(p).view());
  std::fprintf(stderr, "breakeven: %.*s: %s\n", static_cast<int>(kernel.size()), kernel.data(), text.c_str());
}

}  // namespace detail

/// The plan for one call of kernel `Op` over `n` items: the compile-time table decides the
/// sequential fast path with integer comparisons; calls past break-even, and calls with
/// options or switches, are decided in full with the run-time profile and the pools' state.
/// When the batch size is in the range's type (StaticN != 0), that check is a constant.
/// `full` is false when the fast path was taken (the plan then holds only kind and batch).
/// `desc` describes the kernel for this batch (describe<Op>() with measured bytes or a
/// learned cost filled in).
template <operation Op, profile_source P = default_profile, std::size_t StaticN = 0>
plan plan_call(std::size_t n, const call_options& options, bool& full, const kernel_desc& desc = describe<Op>()) {
  using kt = kernel_traits<Op>;
  const settings s = current_settings();
  full = false;
  if constexpr (kt::cost_known && !kt::cost_per_item_varies) {  // an item-dependent cost is the batch's
    constexpr bool static_sequential = StaticN != 0 && std::is_same_v<select_t<Op, StaticN, P>, sequential_executor>;
    const bool sequential = StaticN != 0 ? static_sequential
                                         : decision_table_v<Op, P>.kind_for(n) == executor_kind::sequential;
    if (detail::plain_call(options, s) && !s.debug && sequential) {
      plan p;
      p.batch = n;
      return p;
    }
  }
  full = true;
  const auto payload = static_cast<std::size_t>(static_cast<double>(n) * (desc.bytes_in + desc.bytes_out));
  return decide(desc, n, runtime_profile(), detail::merge(options, s, payload));
}

}  // namespace breakeven
