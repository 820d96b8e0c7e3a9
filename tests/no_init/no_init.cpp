// A program that never calls process_runtime::init, with a second thread holding a lock
// that the kernel takes while the pool starts: the process pool must finish (its fork server
// is a fresh image of the program, where the lock is free), never hang. Run in a loop under
// `timeout` by no_init.sh. Exit status 0 when every result is right.
//
// Arguments: [fork_server|spawn] (the start method; fork_server by default).
#include <breakeven/executor/process_pool.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

namespace {

std::mutex log_mutex;  // a logger's lock: its thread holds it while the pool starts

// Not thread-safe (it shares the logger's state), so it runs in worker processes.
struct logged_square {
  using input_type = int;
  using output_type = long;
  static constexpr auto cost = std::chrono::microseconds{50};
  static constexpr bool thread_safe = false;
  long operator()(int x) const {
    std::lock_guard lock(log_mutex);
    return static_cast<long>(x) * x;
  }
};

}  // namespace

int main(int argc, char** argv) {
  namespace be = breakeven;
  const bool spawn = argc > 1 && std::string_view(argv[1]) == "spawn";

  std::atomic<bool> held{false}, done{false};
  std::thread logger([&] {
    std::lock_guard lock(log_mutex);
    held = true;
    while (!done) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  while (!held) std::this_thread::yield();

  std::vector<int> items(1000);
  for (int i = 0; i < 1000; ++i) items[static_cast<std::size_t>(i)] = i;
  int bad = 0;
  try {
    be::process_pool_options o;
    o.workers = 2;
    o.method = spawn ? be::start_method::spawn : be::start_method::fork_server;
    be::process_pool pool(o);
    const std::vector<long> out = pool.map(logged_square{}, items);
    for (int i = 0; i < 1000; ++i)
      if (out[static_cast<std::size_t>(i)] != static_cast<long>(i) * i) ++bad;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "no_init: %s\n", e.what());
    bad = -1;
  }
  done = true;
  logger.join();
  if (bad != 0) std::fprintf(stderr, "no_init: %d wrong results\n", bad);
  return bad == 0 ? 0 : 1;
}
