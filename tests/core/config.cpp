// The switches: environment variables parsed, bad values ignored, settings applied to plans.
#include <breakeven/config.hpp>
#include <breakeven/stats.hpp>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <thread>
#include <vector>

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

TEST_CASE("statistics count every thread's calls, threads that ended included", "[core][stats]") {
  be::reset_statistics();
  const auto record_from_threads = [](int threads, int calls) {
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
      ts.emplace_back([=] {
        for (int i = 0; i < calls; ++i) be::record_call(be::executor_kind::sequential, 3, 10);
      });
    for (auto& t : ts) t.join();
  };
  record_from_threads(4, 1000);
  be::record_call(be::executor_kind::thread_pool, 7, 20);
  auto s = be::statistics();
  CHECK(s[be::executor_kind::sequential].calls == 4000);
  CHECK(s[be::executor_kind::sequential].items == 12'000);
  CHECK(s[be::executor_kind::sequential].wall_ns == 40'000);
  CHECK(s[be::executor_kind::thread_pool].calls == 1);
  // After a reset, threads that take over the ended threads' counters count from zero.
  be::reset_statistics();
  CHECK(be::statistics().total_calls() == 0);
  record_from_threads(6, 10);
  s = be::statistics();
  CHECK(s[be::executor_kind::sequential].calls == 60);
  CHECK(s[be::executor_kind::sequential].items == 180);
  CHECK(s.total_calls() == 60);
  be::reset_statistics();
}

TEST_CASE("the sequential fast path sees in one load whether any switch is set", "[core][config]") {
  env_guard g;
  be::set_settings({});
  CHECK(be::switches_plain());
  for (int which = 0; which < 5; ++which) {
    be::settings v;
    if (which == 0) v.disabled = true;
    if (which == 1) v.no_processes = true;
    if (which == 2) v.max_workers = 2;
    if (which == 3) v.forced = be::executor_kind::sequential;
    if (which == 4) v.debug = true;
    be::set_settings(v);
    CHECK_FALSE(be::switches_plain());
  }
  be::set_settings({});
  CHECK(be::switches_plain());
}
