// Where neither a fresh image nor process_runtime::init can help, the pool is refused with an
// error that names the fix, never a hang: the process executors live in a shared library
// (whose start-up hook cannot take over the program), the program runs a second thread and
// never calls init. With one thread the library forks its server from the program, safely.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <thread>

extern "C" int breakeven_test_pool_in_library(char* why, std::size_t size);
extern "C" void breakeven_test_stop_fork_server();

int main() {
  char why[2048] = "";
  const int alone = breakeven_test_pool_in_library(why, sizeof why);
  if (alone != 42) {
    std::fprintf(stderr, "refused: one thread, expected 42, got %d (%s)\n", alone, why);
    return 1;
  }
  breakeven_test_stop_fork_server();

  std::atomic<bool> stop{false};
  std::thread other([&] {
    while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  why[0] = '\0';
  const int threaded = breakeven_test_pool_in_library(why, sizeof why);
  stop = true;
  other.join();
  if (threaded != -1 || std::strstr(why, "process_runtime::init(argc, argv)") == nullptr) {
    std::fprintf(stderr, "refused: two threads, expected a refusal naming init, got %d (%s)\n", threaded, why);
    return 1;
  }
  std::printf("ok: %s\n", why);
  return 0;
}
