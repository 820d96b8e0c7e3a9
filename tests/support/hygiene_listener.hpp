// A Catch2 listener that fails the run when a test case leaves anything behind: a child
// process, an open descriptor, a name in /dev/shm, or a mapped shared segment. A test
// area's own main registers it (CATCH_REGISTER_LISTENER(breakeven_test::hygiene_listener))
// and ends with hygiene_exit_status(). Include after defining CATCH_CONFIG_RUNNER.
#pragma once

#include "process_hygiene.hpp"
#include "shm_hygiene.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

namespace breakeven_test {

inline int& hygiene_leaks() {
  static int n = 0;
  return n;
}

struct hygiene_listener : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;
  int fds = 0;
  std::set<std::string> dev_shm;
  void testCaseStarting(Catch::TestCaseInfo const&) override {
    fds = open_fds();
    dev_shm = dev_shm_entries();
  }
  void testCaseEnded(Catch::TestCaseStats const& s) override {
    const bool settled = settles(fds);
    const bool shm_clean = dev_shm_entries() == dev_shm;
    const std::size_t mapped = shared_segment_mappings().count;
    if (settled && shm_clean && mapped == 0) return;
    ++hygiene_leaks();
    std::fprintf(stderr,
                 "\nLEAK after test case '%s': %zu stray child process(es), %d open descriptors (expected %d), "
                 "/dev/shm %s, %zu shared segment mapping(s)\n",
                 s.testInfo.name.c_str(), stray_children().size(), open_fds(), fds, shm_clean ? "unchanged" : "CHANGED",
                 mapped);
  }
};

/// The run's exit status: Catch2's, or failure when a test case left something behind.
inline int hygiene_exit_status(int failed) {
  if (hygiene_leaks() != 0)
    std::fprintf(stderr, "%d test case(s) left processes, descriptors or shared memory behind\n", hygiene_leaks());
  return failed != 0 ? failed : (hygiene_leaks() != 0 ? EXIT_FAILURE : 0);
}

}  // namespace breakeven_test
