// The switches: environment variables parsed, bad values ignored, settings applied to plans.
#include <breakeven/config.hpp>
#include <breakeven/stats.hpp>

#include <catch2/catch.hpp>

#include <cstdlib>

namespace be = breakeven;

namespace {
struct env_guard {  // restores the settings read from the real environment
  ~env_guard() {
    for (const char* v : {"BREAKEVEN_DISABLE", "BREAKEVEN_NO_PROCESSES", "BREAKEVEN_MAX_WORKERS", "BREAKEVEN_FORCE",
                          "BREAKEVEN_DEBUG"})
      ::unsetenv(v);
    be::reload_settings();
  }
};
}  // namespace

TEST_CASE("environment switches are read", "[core][config]") {
  env_guard g;
  ::setenv("BREAKEVEN_DISABLE", "1", 1);
  ::setenv("BREAKEVEN_NO_PROCESSES", "true", 1);
  ::setenv("BREAKEVEN_MAX_WORKERS", "3", 1);
  ::setenv("BREAKEVEN_FORCE", "process_pool", 1);
  ::setenv("BREAKEVEN_DEBUG", "on", 1);
  be::reload_settings();
  const auto s = be::current_settings();
  CHECK(s.disabled);
  CHECK(s.no_processes);
  CHECK(s.max_workers == 3);
  REQUIRE(s.forced.has_value());
  CHECK(*s.forced == be::executor_kind::process_pool);
  CHECK(s.debug);
  CHECK(be::debug_enabled());
}

TEST_CASE("unreadable switch values are ignored, not fatal", "[core][config]") {
  env_guard g;
  ::setenv("BREAKEVEN_DISABLE", "maybe", 1);
  ::setenv("BREAKEVEN_MAX_WORKERS", "-2", 1);
  ::setenv("BREAKEVEN_FORCE", "gpu", 1);
  be::reload_settings();
  const auto s = be::current_settings();
  CHECK_FALSE(s.disabled);
  CHECK(s.max_workers == 0);
  CHECK_FALSE(s.forced.has_value());
  ::setenv("BREAKEVEN_MAX_WORKERS", "4x", 1);
  be::reload_settings();
  CHECK(be::current_settings().max_workers == 0);
}

TEST_CASE("statistics count calls, items, time and shares per executor", "[core][stats]") {
  be::reset_statistics();
  be::record_call(be::executor_kind::sequential, 10, 1'000);
  be::record_call(be::executor_kind::sequential, 5, 1'000);
  be::record_call(be::executor_kind::thread_pool, 100, 2'000);
  be::record_probe(3);
  const auto s = be::statistics();
  CHECK(s.total_calls() == 3);
  CHECK(s[be::executor_kind::sequential].items == 15);
  CHECK(s[be::executor_kind::thread_pool].wall_ns == 2'000);
  CHECK(s[be::executor_kind::sequential].call_share == Approx(2.0 / 3));
  CHECK(s[be::executor_kind::thread_pool].time_share == Approx(0.5));
  CHECK(s.probes == 1);
  CHECK(s.report().find("thread_pool") != std::string::npos);
  be::reset_statistics();
  CHECK(be::statistics().total_calls() == 0);
}
