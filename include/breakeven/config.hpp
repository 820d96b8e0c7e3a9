// breakeven/config.hpp - the switches: environment overrides read once, settable in code.
//
//   BREAKEVEN_DISABLE=1         parallelism off: every plan is sequential (the guide's
//                               ENABLE_MULTIPROCESSING=false); kernels requiring isolation
//                               still run in one worker process
//   BREAKEVEN_NO_PROCESSES=1    never plan process executors
//   BREAKEVEN_MAX_WORKERS=N     cap workers per call
//   BREAKEVEN_FORCE=KIND        sequential | thread_pool | process_pool | shared_memory
//   BREAKEVEN_DEBUG=1           print every plan with its reasons to stderr
//   BREAKEVEN_LEARN=0           decisions do not learn from measured calls: every plan is
//                               the static one (feedback.hpp; call_options::learn per call)
//
// A compile-time switch, BREAKEVEN_DISABLE_PARALLEL, makes every plan sequential in code.
// A value that cannot be read is reported once on stderr and ignored, never fatal.
#pragma once

#include <breakeven/detail/decl.hpp>
#include <breakeven/executor.hpp>

#include <atomic>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>

namespace breakeven {

/// The switches in force; see the file comment for the variables that set them.
struct settings {
  bool disabled = false;
  bool no_processes = false;
  unsigned max_workers = 0;               ///< 0: no cap
  std::optional<executor_kind> forced{};  ///< an executor every call uses
  bool debug = false;
  bool learn = true;                      ///< corrections from measured calls apply (BREAKEVEN_LEARN)
};

namespace detail {

BREAKEVEN_DECL std::optional<executor_kind> parse_kind(std::string_view s) noexcept;
BREAKEVEN_DECL bool parse_flag(const char* var, const char* v, bool& out) noexcept;
/// The switches the environment sets, reporting unreadable values on stderr.
BREAKEVEN_DECL settings environment_settings() noexcept;

/// The environment's switches, with those this translation unit sets at compile time.
inline settings settings_from_environment() noexcept {
  settings s = environment_settings();
#if defined(BREAKEVEN_DISABLE_PARALLEL)
  s.disabled = true;
#endif
  return s;
}

// Each switch in its own atomic: reading the settings on every call costs a few relaxed loads.
// `plain` says in one load that no switch is set, for the sequential fast path.
struct settings_store {
  std::atomic<bool> disabled{false}, no_processes{false}, debug{false}, learn{true};
  std::atomic<unsigned> max_workers{0};
  std::atomic<int> forced{-1};  // an executor_kind, or -1 for none
  std::atomic<bool> plain{true};
  settings_store() noexcept { store(settings_from_environment()); }
  void store(const settings& v) noexcept {
    disabled.store(v.disabled, std::memory_order_relaxed);
    no_processes.store(v.no_processes, std::memory_order_relaxed);
    debug.store(v.debug, std::memory_order_relaxed);
    learn.store(v.learn, std::memory_order_relaxed);
    max_workers.store(v.max_workers, std::memory_order_relaxed);
    forced.store(v.forced ? static_cast<int>(*v.forced) : -1, std::memory_order_relaxed);
    plain.store(!v.disabled && !v.no_processes && !v.debug && v.max_workers == 0 && !v.forced,
                std::memory_order_relaxed);
  }
};

inline settings_store& settings_instance() noexcept {
  static settings_store store;
  return store;
}

}  // namespace detail

/// The switches in force (read from the environment on first use).
inline settings current_settings() noexcept {
  auto& s = detail::settings_instance();
  settings v;
  v.disabled = s.disabled.load(std::memory_order_relaxed);
  v.no_processes = s.no_processes.load(std::memory_order_relaxed);
  v.debug = s.debug.load(std::memory_order_relaxed);
  v.learn = s.learn.load(std::memory_order_relaxed);
  v.max_workers = s.max_workers.load(std::memory_order_relaxed);
  if (const int f = s.forced.load(std::memory_order_relaxed); f >= 0) v.forced = static_cast<executor_kind>(f);
  return v;
}

/// Replaces the switches in force, for programs that configure in code (and for tests).
inline void set_settings(const settings& v) noexcept { detail::settings_instance().store(v); }

/// Re-reads the environment, replacing the switches in force.
inline void reload_settings() noexcept { set_settings(detail::settings_from_environment()); }

/// True when decisions learn from measured calls (BREAKEVEN_LEARN, default on); one relaxed load.
inline bool learning_enabled() noexcept {
  return detail::settings_instance().learn.load(std::memory_order_relaxed);
}

/// True when no switch is set (nothing disabled, forced, capped or logged); one relaxed load.
inline bool switches_plain() noexcept {
  return detail::settings_instance().plain.load(std::memory_order_relaxed);
}

/// True when plans are logged (BREAKEVEN_DEBUG); one relaxed load.
inline bool debug_enabled() noexcept {
  return detail::settings_instance().debug.load(std::memory_order_relaxed);
}

}  // namespace breakeven

#if !defined(BREAKEVEN_SEPARATE_COMPILATION)
#include <breakeven/impl/config.ipp>
#endif
