// bench/soak.cpp - a soak run, not a test: mixed work with faults for a given time, then
// whether anything was lost, wrong or kept.
//   scripts/bench soak [seconds]      (default 60)
// Each round: a thread-pool map of 100,000 cheap items; 200 process-pool tasks (fork server)
// of which 3% segfault, abort, _exit or throw and 0.5% hang past a 1 s timeout; a
// shared-memory call of 20,000 items of which one round in four crashes a worker mid-call.
//   soak_rounds, soak_tasks     rounds and tasks run (thread items count once per map)
//   soak_worker_deaths          workers lost on purpose (process and shared-memory pools)
//   soak_lost                   tasks that gave neither a value nor an error (or gave two)
//   soak_wrong                  tasks whose value or error was not the one planted
//   soak_rss_growth_mib         this process's resident memory at the end less after round 1
//   soak_fd_growth              its open descriptors at the end less after round 1
// Targets: 0, 0, < 5, 0.
#include <breakeven/executor/process_pool.hpp>
#include <breakeven/executor/shared_memory.hpp>
#include <breakeven/executor/thread_pool.hpp>
#include <breakeven/ipc/runtime.hpp>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <dirent.h>
#include <unistd.h>

namespace be = breakeven;
using clock_type = std::chrono::steady_clock;

namespace soak {

// Input: value * 8 + what to do (0 return, 1 segfault, 2 abort, 3 _exit(5), 4 throw, 5 hang).
struct mixed {
  using input_type = std::int64_t;
  using output_type = std::int64_t;
  static constexpr auto cost = std::chrono::microseconds{50};
  static constexpr auto variance = be::variance::high;
  std::int64_t operator()(const std::int64_t& x) const {
    switch (x % 8) {
      case 1: std::signal(SIGSEGV, SIG_DFL); std::raise(SIGSEGV); break;
      case 2: std::abort();
      case 3: ::_exit(5);
      case 4: throw std::out_of_range("planted " + std::to_string(x / 8));
      case 5: for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
      default: break;
    }
    return x / 8 * 3;
  }
};

// x * 5 + 1 over shared memory; the worker dies at item `crash`.
struct affine_or_die {
  using input_type = std::int32_t;
  using output_type = std::int32_t;
  static constexpr auto cost = std::chrono::nanoseconds{200};
  static constexpr bool bitwise_transport = true;  // a plain number: its bytes mean the same in a worker
  std::int32_t crash = -1;
  std::int32_t operator()(const std::int32_t& x) const {
    if (x == crash) ::_exit(9);
    return x * 5 + 1;
  }
};

struct square {
  using input_type = std::int64_t;
  using output_type = std::int64_t;
  static constexpr auto cost = std::chrono::nanoseconds{5};
  std::int64_t operator()(const std::int64_t& x) const { return x * x; }
};

double rss_mib() {
  std::ifstream f("/proc/self/status");
  std::string key;
  while (f >> key) {
    if (key == "VmRSS:") {
      double kb = 0;
      f >> kb;
      return kb / 1024;
    }
    f.ignore(1 << 12, '\n');
  }
  return 0;
}

int open_fds() {
  int n = -1;  // the directory's own descriptor
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (const dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') ++n;
    ::closedir(d);
  }
  return n;
}

}  // namespace soak

int main(int argc, char* argv[]) {
  be::process_runtime::init(argc, argv);
  const double seconds = argc > 1 ? std::atof(argv[1]) : 60;
  be::thread_pool threads;
  be::process_pool procs(be::process_pool_options{.workers = 2, .task_timeout = std::chrono::milliseconds(1000)});
  be::shared_memory_pool shm(2);

  std::uint64_t rounds = 0, tasks = 0, lost = 0, wrong = 0;
  std::map<std::string, std::uint64_t> wrong_by;  // what came back wrong, for the report
  auto note = [&](bool bad, const std::string& what) {
    if (!bad) return;
    ++wrong;
    ++wrong_by[what];
  };
  double rss0 = 0;
  int fds0 = 0;
  std::vector<std::int64_t> items(100'000);
  for (std::size_t i = 0; i < items.size(); ++i) items[i] = static_cast<std::int64_t>(i);
  std::vector<std::int32_t> shm_in(20'000);
  for (std::size_t i = 0; i < shm_in.size(); ++i) shm_in[i] = static_cast<std::int32_t>(i);
  const auto deadline = clock_type::now() + std::chrono::duration<double>(seconds);
  do {
    // Thread pool: values only.
    std::vector<std::int64_t> sq(items.size());
    threads.bulk_map(soak::square{}, items, sq.begin());
    for (std::size_t i = 0; i < sq.size(); i += 997) note(sq[i] != items[i] * items[i], "thread value");
    tasks += 1;

    // Process pool: values and planted faults, one outcome each.
    std::vector<std::future<std::int64_t>> fs;
    std::vector<int> plan;
    for (int i = 0; i < 200; ++i) {
      const std::uint64_t k = rounds * 200 + static_cast<std::uint64_t>(i);
      int what = 0;
      if (k % 33 == 7) what = 1 + static_cast<int>(k / 33 % 4);  // 3%: segfault, abort, _exit, throw
      if (k % 200 == 111) what = 5;                                // 0.5%: hang
      plan.push_back(what);
      fs.push_back(procs.submit(soak::mixed{}, static_cast<std::int64_t>(k) * 8 + what));
    }
    for (std::size_t i = 0; i < fs.size(); ++i) {
      const std::int64_t v = static_cast<std::int64_t>(rounds * 200 + i);
      if (fs[i].wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
        ++lost;
        continue;
      }
      const std::string planted = "planted " + std::to_string(plan[i]) + ": ";
      try {
        note(fs[i].get() != v * 3 || plan[i] != 0, planted + "a value");
      } catch (const be::task_timeout&) {
        note(plan[i] != 5, planted + "task_timeout");
      } catch (const be::worker_lost& e) {
        note(plan[i] < 1 || plan[i] > 3, planted + e.what());
      } catch (const std::out_of_range& e) {
        note(plan[i] != 4 || std::string(e.what()) != "planted " + std::to_string(v), planted + "out_of_range");
      } catch (const std::exception& e) {
        note(true, planted + e.what());
      }
    }
    tasks += fs.size();

    // Shared memory: one round in four a worker dies mid-call; its unfinished items fail.
    std::vector<std::int32_t> out(shm_in.size(), -1);
    const std::int32_t crash = rounds % 4 == 3 ? static_cast<std::int32_t>(rounds * 7919 % shm_in.size()) : -1;
    const auto r = shm.try_bulk_map(soak::affine_or_die{crash}, shm_in, out.begin(), be::schedule{256, 0, true});
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (r.failed(i)) note(crash < 0, "shm item failed in a round without a crash");
      else note(out[i] != shm_in[i] * 5 + 1, "shm value");
    }
    if (crash >= 0) note(!r.failed(static_cast<std::size_t>(crash)), "shm crashing item did not fail");
    tasks += out.size();

    if (++rounds == 1) {
      rss0 = soak::rss_mib();
      fds0 = soak::open_fds();
    }
  } while (clock_type::now() < deadline);

  const auto ps = procs.stats().workers_lost + shm.stats().processes.workers_lost;
  std::printf("soak_seconds: %.0f s\n", seconds);
  std::printf("soak_rounds: %llu\n", static_cast<unsigned long long>(rounds));
  std::printf("soak_tasks: %llu\n", static_cast<unsigned long long>(tasks));
  std::printf("soak_worker_deaths: %llu\n", static_cast<unsigned long long>(ps));
  std::printf("soak_lost: %llu\n", static_cast<unsigned long long>(lost));
  std::printf("soak_wrong: %llu\n", static_cast<unsigned long long>(wrong));
  std::printf("soak_rss_growth_mib: %.1f MiB\n", soak::rss_mib() - rss0);
  std::printf("soak_fd_growth: %d\n", soak::open_fds() - fds0);
  for (const auto& [what, n] : wrong_by) std::fprintf(stderr, "soak: wrong %llu x %s\n", static_cast<unsigned long long>(n), what.c_str());
  return lost == 0 && wrong == 0 ? 0 : 1;
}
