// The pipeline tests' own main: process_runtime::init runs first (the CPU stage may run on
// the process pool, whose spawned children stop there).
#define CATCH_CONFIG_RUNNER
#include <breakeven/ipc/runtime.hpp>

#include <catch2/catch.hpp>

int main(int argc, char* argv[]) {
  breakeven::process_runtime::init(argc, argv);
  return Catch::Session().run(argc, argv);
}
