// breakeven/impl/config.ipp - the definitions of config.hpp: the switches the environment sets.
// Included by its header, inline; with BREAKEVEN_SEPARATE_COMPILATION, compiled once
// through <breakeven/impl/src.hpp>.
#pragma once

#include <breakeven/config.hpp>

namespace breakeven::detail {

BREAKEVEN_DECL std::optional<executor_kind> parse_kind(std::string_view s) noexcept {
  for (executor_kind k : all_executor_kinds)
    if (to_string(k) == s) return k;
  return std::nullopt;
}

BREAKEVEN_DECL bool parse_flag(const char* var, const char* v, bool& out) noexcept {
  const std::string_view s(v);
  if (s == "1" || s == "true" || s == "yes" || s == "on") return out = true, true;
  if (s == "0" || s == "false" || s == "no" || s == "off" || s.empty()) return out = false, true;
  std::fprintf(stderr, "breakeven: %s='%s' is not a flag (1/0, true/false); ignored\n", var, v);
  return false;
}

BREAKEVEN_DECL settings environment_settings() noexcept {
  settings s;
  if (const char* v = std::getenv("BREAKEVEN_DISABLE")) parse_flag("BREAKEVEN_DISABLE", v, s.disabled);
  if (const char* v = std::getenv("BREAKEVEN_NO_PROCESSES")) parse_flag("BREAKEVEN_NO_PROCESSES", v, s.no_processes);
  if (const char* v = std::getenv("BREAKEVEN_DEBUG")) parse_flag("BREAKEVEN_DEBUG", v, s.debug);
  if (const char* v = std::getenv("BREAKEVEN_LEARN"); v != nullptr && *v != '\0') parse_flag("BREAKEVEN_LEARN", v, s.learn);
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
  return s;
}

}  // namespace breakeven::detail
