// breakeven/config.hpp - the switches: environment overrides read once, settable in code.
//
//   BREAKEVEN_DISABLE=1         parallelism off: every plan is sequential (the guide's
//                               ENABLE_MULTIPROCESSING=false); kernels requiring isolation
//                               still run in one worker process
//   BREAKEVEN_NO_PROCESSES=1    never plan process executors
//   BREAKEVEN_MAX_WORKERS=N     cap workers per call
//   BREAKEVEN_FORCE=KIND        sequential | thread_pool | process_pool | shared_memory
//   BREAKEVEN_DEBUG=1           print every plan with its reasons to stderr
//
// A compile-time switch, BREAKEVEN_DISABLE_PARALLEL, makes every plan sequential in code.
// A value that cannot be read is reported once on stderr and ignored, never fatal.
#pragma once

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
  std::optional<executor_kind> forced;    ///< an executor every call uses
  bool debug = false;
};

namespace detail {

inline std::optional<executor_kind> parse_kind(std::string_view s) noexcept {
  for (executor_kind k : all_executor_kinds)
    if (to_string(k) == s) return k;
  return std::nullopt;
}

inline bool parse_flag(const char* var, const char* v, bool& out) noexcept {
  const std::string_view s(v);
  if (s == "1" || s == "true" || s == "yes" || s == "on") return out = true, true;
  if (s == "0" || s == "false" || s == "no" || s == "off" || s.empty()) return out = false, true;
  std::fprintf(stderr, "breakeven: %s='%s' is not a flag (1/0, true/false); ignored\n", var, v);
  return false;
}

/// Reads the environment into a settings value, reporting unreadable values on stderr.
inline settings settings_from_environment() noexcept {
  settings s;
  if (const char* v = std::getenv("BREAKEVEN_DISABLE")) parse_flag("BREAKEVEN_DISABLE", v, s.disabled);
  if (const char* v = std::getenv("BREAKEVEN_NO_PROCESSES")) parse_flag("BREAKEVEN_NO_PROCESSES", v, s.no_processes);
  if (const char* v = std::getenv("BREAKEVEN_DEBUG")) parse_flag("BREAKEVEN_DEBUG", v, s.debug);
  if (const char* v = std::getenv("BREAKEVEN_MAX_WORKERS")) {
    const std::string_view t(v);
    unsigned n = 0;
    const auto r = std::from_chars(t.data(), t.data() + t.size(), n);
    if (r.ec != std::errc{} || r.ptr != t.data() + t.size() || n == 0)
      std::fprintf(stderr, "breakeven: BREAKEVEN_MAX_WORKERS='%s' is not a positive integer; ignored\n", v);
    else
      s.max_workers = n;
  }
  if (const char* v = std::getenv("BREAKEVEN_FORCE"); v != nullptr && *v != '\0') {
    s.forced = parse_kind(v);
    if (!s.forced)
      std::fprintf(stderr,
                   "breakeven: BREAKEVEN_FORCE='%s' is not an executor "
                   "(sequential, thread_pool, process_pool, shared_memory); ignored\n",
                   v);
  }
#if defined(BREAKEVEN_DISABLE_PARALLEL)
  s.disabled = true;
#endif
  return s;
}

// Each switch in its own atomic: reading the settings on every call costs a few relaxed loads.
struct settings_store {
  std::atomic<bool> disabled{false}, no_processes{false}, debug{false};
  std::atomic<unsigned> max_workers{0};
  std::atomic<int> forced{-1};  // an executor_kind, or -1 for none
  settings_store() noexcept { store(settings_from_environment()); }
  void store(const settings& v) noexcept {
    disabled.store(v.disabled, std::memory_order_relaxed);
    no_processes.store(v.no_processes, std::memory_order_relaxed);
    debug.store(v.debug, std::memory_order_relaxed);
    max_workers.store(v.max_workers, std::memory_order_relaxed);
    forced.store(v.forced ? static_cast<int>(*v.forced) : -1, std::memory_order_relaxed);
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
  v.max_workers = s.max_workers.load(std::memory_order_relaxed);
  if (const int f = s.forced.load(std::memory_order_relaxed); f >= 0) v.forced = static_cast<executor_kind>(f);
  return v;
}

/// Replaces the switches in force, for programs that configure in code (and for tests).
inline void set_settings(const settings& v) noexcept { detail::settings_instance().store(v); }

/// Re-reads the environment, replacing the switches in force.
inline void reload_settings() noexcept { set_settings(detail::settings_from_environment()); }

/// True when plans are logged (BREAKEVEN_DEBUG); one relaxed load.
inline bool debug_enabled() noexcept {
  return detail::settings_instance().debug.load(std::memory_order_relaxed);
}

}  // namespace breakeven
