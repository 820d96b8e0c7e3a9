// The reliability tests' own main: process_runtime::init first (a spawned worker stops
// there); `test_reliability --parent <method>` is the program whose death the parent-death
// tests cause (tests/support/parent_death.hpp); otherwise the Catch2 run, with the hygiene listener: no
// child process, descriptor or shared segment left after a test case.
#define CATCH_CONFIG_RUNNER
#include "../support/parent_death.hpp"
#include "../support/process_hygiene.hpp"
#include "../support/shm_hygiene.hpp"

#include <breakeven/ipc/runtime.hpp>

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>


namespace {

int leaks = 0;

struct hygiene_listener : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;
  int fds = 0;
  std::set<std::string> dev_shm;
  void testCaseStarting(Catch::TestCaseInfo const&) override {
    fds = breakeven_test::open_fds();
    dev_shm = breakeven_test::dev_shm_entries();
  }
  void testCaseEnded(Catch::TestCaseStats const& s) override {
    const bool settled = breakeven_test::settles(fds);
    const bool shm_clean = breakeven_test::dev_shm_entries() == dev_shm;
    const std::size_t mapped = breakeven_test::shared_segment_mappings().count;
    if (settled && shm_clean && mapped == 0) return;
    ++leaks;
    std::fprintf(stderr,
                 "\nLEAK after test case '%s': %zu stray child process(es), %d open descriptors (expected %d), "
                 "/dev/shm %s, %zu shared segment mapping(s)\n",
                 s.testInfo.name.c_str(), breakeven_test::stray_children().size(), breakeven_test::open_fds(), fds,
                 shm_clean ? "unchanged" : "CHANGED", mapped);
  }
};

}  // namespace

CATCH_REGISTER_LISTENER(hygiene_listener)

int main(int argc, char* argv[]) {
  breakeven::process_runtime::init(argc, argv);
  if (argc == 3 && std::strcmp(argv[1], "--parent") == 0) return breakeven_test::parent_death::parent_program(argv[2]);
  breakeven_test::start_sanitizer_symbolizer();
  const int failed = Catch::Session().run(argc, argv);
  if (leaks != 0) std::fprintf(stderr, "%d test case(s) left processes, descriptors or shared memory behind\n", leaks);
  return failed != 0 ? failed : (leaks != 0 ? EXIT_FAILURE : 0);
}
