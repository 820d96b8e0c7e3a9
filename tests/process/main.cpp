// The process tests' own main: process_runtime::init must run first thing (a child spawned
// by the spawn start method stops there), which Catch2's shared main does not do. Also the
// hygiene listener: after every test case, no child process left and no descriptor leaked.
#define CATCH_CONFIG_RUNNER
#include "../support/process_hygiene.hpp"

#include <breakeven/ipc/runtime.hpp>

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>

namespace {

int leaks = 0;

struct hygiene_listener : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;
  int fds = 0;
  void testCaseStarting(Catch::TestCaseInfo const&) override { fds = breakeven_test::open_fds(); }
  void testCaseEnded(Catch::TestCaseStats const& s) override {
    if (breakeven_test::settles(fds)) return;
    ++leaks;

    std::fprintf(stderr, "\nLEAK after test case '%s': %zu stray child process(es), %d open descriptors (expected %d)\n",
                 s.testInfo.name.c_str(), breakeven_test::stray_children().size(), breakeven_test::open_fds(), fds);
  }
};

}  // namespace

CATCH_REGISTER_LISTENER(hygiene_listener)

int main(int argc, char* argv[]) {
  breakeven::process_runtime::init(argc, argv);
  breakeven_test::start_sanitizer_symbolizer();
  const int failed = Catch::Session().run(argc, argv);
  if (leaks != 0) std::fprintf(stderr, "%d test case(s) leaked child processes or descriptors\n", leaks);
  return failed != 0 ? failed : (leaks != 0 ? EXIT_FAILURE : 0);
}
