// The shared-memory tests' own main: process_runtime::init first (a spawned worker stops
// there), and a listener that fails the run when a test case leaves anything behind: a
// child process, an open descriptor, a name in /dev/shm, or a mapped shared segment.
#define CATCH_CONFIG_RUNNER
#include "../support/hygiene_listener.hpp"

#include <breakeven/ipc/runtime.hpp>

#include <catch2/catch.hpp>

using breakeven_test::hygiene_listener;
CATCH_REGISTER_LISTENER(hygiene_listener)

int main(int argc, char* argv[]) {
  breakeven::process_runtime::init(argc, argv);
  return breakeven_test::hygiene_exit_status(Catch::Session().run(argc, argv));
}
