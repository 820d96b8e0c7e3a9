// The process executors used only from a shared library: the library's start-up hook runs
// in the library, not in the main program, so it cannot take over a fresh image of the
// program (see refused.cpp).
#include <breakeven/executor/process_pool.hpp>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <exception>

namespace {
struct add_one {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::microseconds{50};
  int operator()(const int& x) const { return x + 1; }
};
}  // namespace

/// Runs one task on a process pool; on an error returns -1 with its message in `why`.
extern "C" int breakeven_test_pool_in_library(char* why, std::size_t size) {
  try {
    breakeven::process_pool pool(1);
    return pool.submit(add_one{}, 41).get();
  } catch (const std::exception& e) {
    std::snprintf(why, size, "%s", e.what());
    return -1;
  }
}

/// Stops the library's fork server, so that the next pool starts one again.
extern "C" void breakeven_test_stop_fork_server() { breakeven::process_runtime::shutdown(); }
