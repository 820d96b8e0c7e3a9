// The reliability tests' own main: process_runtime::init first (a spawned worker stops
// there); `test_reliability --parent <method>` is the program whose death the parent-death
// tests cause (tests/support/parent_death.hpp); otherwise the Catch2 run, with the hygiene
// listener: no child process, descriptor, /dev/shm name or shared segment left after a test
// case.
#define CATCH_CONFIG_RUNNER
#include "../support/hygiene_listener.hpp"
#include "../support/parent_death.hpp"

#include <breakeven/ipc/runtime.hpp>

#include <catch2/catch.hpp>

#include <cstring>

using breakeven_test::hygiene_listener;
CATCH_REGISTER_LISTENER(hygiene_listener)

int main(int argc, char* argv[]) {
  breakeven::process_runtime::init(argc, argv);
  if (argc == 3 && std::strcmp(argv[1], "--parent") == 0) return breakeven_test::parent_death::parent_program(argv[2]);
  breakeven_test::start_sanitizer_symbolizer();
  return breakeven_test::hygiene_exit_status(Catch::Session().run(argc, argv));
}
