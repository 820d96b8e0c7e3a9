// The parent's death, for tests: a program that owns a pool whose workers are all busy (two
// sleeping for a minute, one spinning for ever), and the harness that runs it, kills it
// with a signal and watches every process that descended from it end.
//
// The test executable is that program too: its main() calls parent_program(method) when
// started as `<exe> --parent <method>` (after process_runtime::init, so that spawned workers
// stop there). The harness should make its process a child subreaper
// (PR_SET_CHILD_SUBREAPER): the orphans then come to it, so it sees them end (as zombies)
// and reaps them, whatever the machine's init does.
#pragma once

#include <breakeven/concepts.hpp>
#include <breakeven/executor/process_pool.hpp>

#include "process_hygiene.hpp"

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace breakeven_test::parent_death {

// Says on descriptor 1 that the task runs in this process ("running <pid>").
inline void announce() {
  const std::string line = "running " + std::to_string(::getpid()) + "\n";
  (void)!::write(1, line.data(), line.size());
}

/// Sleeps the input's milliseconds (a long task), then returns the worker's pid.
struct sleeper {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::seconds{1};
  static constexpr auto variance = breakeven::variance::high;  // one per worker, never queued
  int operator()(const int& ms) const {
    announce();
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return static_cast<int>(::getpid());
  }
};

/// Never returns: spins on the CPU (a hung task).
struct spinner {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::seconds{1};
  static constexpr auto variance = breakeven::variance::high;
  int operator()(const int& x) const {
    announce();
    volatile std::uint64_t n = static_cast<std::uint64_t>(x);
    for (;;) n = n + 1;
  }
};

inline breakeven::start_method method_named(const std::string& m) {
  return m == "fork" ? breakeven::start_method::fork
         : m == "spawn" ? breakeven::start_method::spawn
                        : breakeven::start_method::fork_server;
}

/// The program whose death is tested: a pool of three workers by start method `method`,
/// all three busy, until the program is killed.
inline int parent_program(const char* method) {
  breakeven::process_pool_options o;
  o.workers = 3;
  o.pin_workers = false;
  o.method = method_named(method);
  breakeven::process_pool pool(o);
  auto a = pool.submit(sleeper{}, 60'000);
  auto b = pool.submit(sleeper{}, 60'000);
  auto c = pool.submit(spinner{}, 0);
  std::this_thread::sleep_for(std::chrono::seconds(120));  // killed long before
  return 0;
}

/// Every process below `root` (children, their children, ...).
inline std::set<pid_t> descendants_of(pid_t root) {
  const auto table = process_table();
  std::set<pid_t> out{root};
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& [pid, info] : table)
      if (out.count(info.first) != 0 && out.insert(pid).second) grew = true;
  }
  out.erase(root);
  return out;
}

/// The processes of `pids` that still live (neither gone nor a zombie).
inline std::set<pid_t> alive(const std::set<pid_t>& pids) {
  const auto table = process_table();
  std::set<pid_t> out;
  for (pid_t p : pids) {
    const auto it = table.find(p);
    if (it != table.end() && it->second.second != 'Z' && it->second.second != 'X') out.insert(p);
  }
  return out;
}

/// Reads "running <pid>" lines from `fd` until `n` came or `limit` passed; how many came.
inline int wait_running(int fd, int n, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  std::string text;
  int seen = 0;
  while (seen < n && std::chrono::steady_clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    char buf[256];
    const ssize_t got = ::read(fd, buf, sizeof buf);
    if (got <= 0) break;
    text.append(buf, static_cast<std::size_t>(got));
    seen = 0;
    for (std::size_t at = 0; (at = text.find("running ", at)) != std::string::npos; at += 8) ++seen;
  }
  return seen;
}

/// Waits up to `limit` for child `pid` to end and reaps it (its status in `status`); false
/// when it still runs then. A pid that is not (or no longer) this process's child counts as reaped.
inline bool reaped_within(pid_t pid, std::chrono::milliseconds limit, int& status) {
  const auto until = std::chrono::steady_clock::now() + limit;
  for (;;) {
    const pid_t got = ::waitpid(pid, &status, WNOHANG);
    if (got == pid || (got < 0 && errno != EINTR)) return true;
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

struct round_result {
  int running = 0;              ///< tasks running when the parent was killed (3 expected)
  std::size_t watched = 0;      ///< the parent's descendants then (fork servers, workers)
  int parent_signal = 0;        ///< the signal that ended the parent (-1: it did not die of one)
  std::set<pid_t> survivors;    ///< descendants still alive at the end of the wait
  std::chrono::milliseconds took{0};  ///< from the kill until the last descendant ended
};

/// Runs `exe --parent method`, kills it with `sig` once its three tasks run, and waits up
/// to 3 s for its descendants to end. Leaves nothing behind: survivors are killed after the
/// measure, and every descendant that came to this process is reaped.
inline round_result kill_parent(const char* exe, const char* method, int sig) {
  round_result r;
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return r;
  const pid_t parent = ::fork();
  if (parent < 0) {
    ::close(out[0]);
    ::close(out[1]);
    return r;
  }
  if (parent == 0) {
    // The program meets each signal with its default action, whatever this process inherited:
    // a shell's background job ignores SIGINT and SIGQUIT, nohup ignores SIGHUP.
    for (const int s : {SIGINT, SIGQUIT, SIGTERM, SIGHUP}) ::signal(s, SIG_DFL);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(out[1], 1);
    ::execl(exe, exe, "--parent", method, static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  r.running = wait_running(out[0], 3, std::chrono::seconds(30));
  const std::set<pid_t> watched = descendants_of(parent);
  r.watched = watched.size();
  const auto t0 = std::chrono::steady_clock::now();
  ::kill(parent, sig);
  // A parent that outlives its signal for 10 s is killed, and the round reports SIGKILL:
  // the test fails, it does not hang.
  int status = 0;
  if (!reaped_within(parent, std::chrono::seconds(10), status)) {
    ::kill(parent, SIGKILL);
    while (::waitpid(parent, &status, 0) < 0 && errno == EINTR) {
    }
  }
  r.parent_signal = WIFSIGNALED(status) ? WTERMSIG(status) : -1;
  r.survivors = alive(watched);
  while (!r.survivors.empty() && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    r.survivors = alive(watched);
  }
  r.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  for (pid_t p : r.survivors) ::kill(p, SIGKILL);
  for (pid_t p : watched) (void)reaped_within(p, std::chrono::seconds(5), status);
  ::close(out[0]);
  return r;
}

}  // namespace breakeven_test::parent_death
