// Spinning yields to runnable threads in the process pool's workers too (the guide, section
// 8): once it has waited for its CPU behind another thread, an idle worker process stops
// spinning at once, whatever its spin budget, so that the caller's next call (or any
// other thread) gets a CPU. Seen in the worker's scheduler state while it is idle and the
// machine is oversubscribed: asleep, not runnable. The shared-memory executor runs on the
// same workers. The pool's reactor thread keeps its spin (with a sched_yield every 128
// steps): it reads the answers a submitter stopped waiting for, and parking it at once under
// load turned 25 us round trips into 0.7 - 4 ms on this machine. Only while a submitter
// reads its own answer, when the reactor has nothing to do, does it sleep instead.
#include "kernels.hpp"

#include <breakeven/detail/sys.hpp>
#include <breakeven/executor/process_pool.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace be = breakeven;
using namespace std::chrono_literals;

namespace {

// One spinning process more than the machine has CPUs, until destroyed (killed and reaped).
// Each dies with the test too: killed mid-case, the test would otherwise leave them spinning
// and slow down whatever runs next.
class busy_processes {
 public:
  busy_processes() {
    const pid_t parent = ::getpid();
    for (unsigned i = 0; i <= be::detail::online_cpus(); ++i) {
      const pid_t pid = ::fork();
      if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(0);  // the test died before prctl
        for (;;) be::detail::cpu_relax();  // runnable until killed
      }
      if (pid > 0) pids_.push_back(pid);
    }
  }
  ~busy_processes() {
    for (const pid_t pid : pids_) ::kill(pid, SIGKILL);
    for (const pid_t pid : pids_) ::waitpid(pid, nullptr, 0);
  }

 private:
  std::vector<pid_t> pids_;
};

// The scheduler state of a process ('R' runnable, 'S' asleep, ...) from its /proc stat
// file; '?' when it cannot be read.
char state_of(const std::string& stat_path) {
  std::FILE* f = std::fopen(stat_path.c_str(), "r");
  if (f == nullptr) return '?';
  char buf[1024] = {};
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  const char* p = std::strrchr(buf, ')');  // the name may hold spaces
  return p != nullptr && p[1] == ' ' ? p[2] : '?';
}

}  // namespace

TEST_CASE("idle process-pool workers sleep at once while the CPUs are oversubscribed",
          "[process][spin]") {
  if (const char* v = std::getenv("BREAKEVEN_SPIN_YIELD"); v != nullptr && std::strcmp(v, "0") == 0) {
    WARN("BREAKEVEN_SPIN_YIELD=0: the rule is off in the workers");
    return;
  }
  // Without the rule, the worker would spin (runnable) for 2 s after every task.
  be::process_pool pool(be::process_pool_options{.workers = 1, .spin = 2s});
  const int worker = pool.submit(ptest::whoami{}, 0).get();
  const std::string worker_stat = "/proc/" + std::to_string(worker) + "/stat";
  REQUIRE(state_of(worker_stat) != '?');
  busy_processes busy;
  std::this_thread::sleep_for(100ms);  // the spinners are runnable
  for (int i = 0; i < 3; ++i) CHECK(pool.submit(ptest::whoami{}, i).get() == worker);  // fresh from work
  std::this_thread::sleep_for(50ms);
  int runnable = 0;
  for (int i = 0; i < 20; ++i) {  // 20 looks over 400 ms, well inside the 2 s budget
    runnable += state_of(worker_stat) == 'R';
    std::this_thread::sleep_for(20ms);
  }
  // A look may catch it woken to check the pool (every 100 ms), and woken, it waits runnable
  // behind the spinners, the longer the busier the machine: 5 of 20 looks found it so under
  // AddressSanitizer with other suites running beside it (/proc/PID/schedstat counted 80 ms
  // of the 400 waiting, 0.2 ms running, on an idle machine). Spinning, all 20 find it
  // runnable (this check with BREAKEVEN_SPIN_YIELD=0): at most half tells the two apart. Its
  // CPU time would not: spinning, it yields at times, and behind the spinners it ran 0.8 ms
  // of the 400 on this machine's kernel.
  CHECK(runnable <= 10);
}
