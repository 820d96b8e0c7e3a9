// The fault campaign: breakeven's pools under every fault a task can cause, through the
// public API, for every start method; after each part, nothing may be left behind.
//
//   fault_campaign [--tasks N]     (N tasks per start method and kind of call; default 300)
//
// Parts, each followed by the hygiene check (no child process but the shared fork server,
// no new descriptor, no memfd, no /dev/shm name, no mapping of a shared segment):
//   1. process pools (fork, fork_server, spawn): 5% of the tasks segfault, abort, _exit(3),
//      throw a std::runtime_error, throw a registered user exception, throw an unregistered
//      one, or hang past the task timeout (1 s); over submit + as_completed and over
//      imap_unordered. Exactly one value or one error per task, each error the one its
//      fault must give (worker_lost naming the signal or status, task_timeout, the
//      exception with its type and message).
//   2. kill -9 of workers from outside while tasks run: each task gives its value or
//      worker_lost naming SIGKILL, nothing lost, nothing doubled.
//   3. shared-memory pools: workers that crash mid-call fail only their unfinished items;
//      the segment trimmed afterwards holds no memory (its memfd's blocks).
//   4. the parent killed by SIGTERM, SIGINT and SIGKILL while its workers run a long and a
//      hung task, for each start method: every worker and fork server gone within 2 s
//      (100 ms on an idle machine; the bound is for loaded, instrumented runs).
// Prints one line per part; exits 1 naming the first broken promise.
#include "../shm/kernels.hpp"
#include "../support/parent_death.hpp"
#include "../support/process_hygiene.hpp"
#include "../support/shm_hygiene.hpp"

#include <breakeven/executor/process_pool.hpp>
#include <breakeven/executor/shared_memory.hpp>
#include <breakeven/ipc/exceptions.hpp>
#include <breakeven/ipc/runtime.hpp>

#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <future>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace be = breakeven;
using namespace std::chrono_literals;

namespace campaign {

/// A user exception registered to travel with its type, and one that is not.
struct user_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct unregistered_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class fault : int { none, segfault, abort, exit3, throw_std, throw_user, throw_unregistered, hang, count };

constexpr const char* fault_name(fault f) {
  constexpr std::array<const char*, 8> names{"none", "segfault", "abort", "_exit(3)", "std::runtime_error",
                                             "user_error", "unregistered_error", "hang"};
  return names[static_cast<std::size_t>(f)];
}

/// Returns its input's value, or faults as its input says (input = value * 16 + fault).
struct faulty {
  using input_type = std::int64_t;
  using output_type = std::int64_t;
  static constexpr auto cost = std::chrono::microseconds{20};
  static constexpr auto variance = breakeven::variance::high;
  std::int64_t operator()(const std::int64_t& x) const {
    const std::int64_t v = x / 16;
    switch (static_cast<fault>(x % 16)) {
      case fault::segfault:
        std::signal(SIGSEGV, SIG_DFL);  // a real signal, even under AddressSanitizer
        std::raise(SIGSEGV);
        break;
      case fault::abort: std::abort();
      case fault::exit3: ::_exit(3);
      case fault::throw_std: throw std::runtime_error("std fault " + std::to_string(v));
      case fault::throw_user: throw user_error("user fault " + std::to_string(v));
      case fault::throw_unregistered: throw unregistered_error("unregistered fault " + std::to_string(v));
      case fault::hang:
        for (;;) std::this_thread::sleep_for(1s);
      default: break;
    }
    return v;
  }
};

/// Naps the input's milliseconds; returns the worker's pid.
struct nap_pid {
  using input_type = std::int32_t;
  using output_type = std::int32_t;
  static constexpr auto cost = std::chrono::milliseconds{5};
  static constexpr auto variance = breakeven::variance::high;
  std::int32_t operator()(const std::int32_t& ms) const {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return static_cast<std::int32_t>(::getpid());
  }
};

int failures = 0;

void expect(bool ok, const std::string& what) {
  if (ok) return;
  ++failures;
  std::fprintf(stderr, "fault campaign: FAILED: %s\n", what.c_str());
}

// The outcome of one task, checked against its planted fault; returns a short name of what
// came back ("value", or the error's kind).
std::string check_outcome(std::int64_t value, fault f, const std::function<std::int64_t()>& get, const std::string& at) {
  auto signal_of = [](const be::worker_lost& e) { return e.status().signaled() ? e.status().code : -1; };
  try {
    const std::int64_t got = get();
    expect(f == fault::none && got == value, at + ": a value (" + std::to_string(got) + ") for a task planted with " +
                                                  fault_name(f));
    return "value";
  } catch (const be::task_timeout&) {
    expect(f == fault::hang, at + ": task_timeout for " + fault_name(f));
    return "task_timeout";
  } catch (const be::worker_lost& e) {
    const bool right = (f == fault::segfault && signal_of(e) == SIGSEGV) || (f == fault::abort && signal_of(e) == SIGABRT) ||
                       (f == fault::exit3 && e.status().exited() && e.status().code == 3);
    expect(right, at + ": " + e.what() + " for " + fault_name(f));
    return "worker_lost";
  } catch (const user_error& e) {
    expect(f == fault::throw_user && e.what() == "user fault " + std::to_string(value), at + ": user_error for " + fault_name(f));
    return "user_error";
  } catch (const be::remote_error& e) {
    expect(f == fault::throw_unregistered && e.type_name() == "campaign::unregistered_error" &&
               e.message() == "unregistered fault " + std::to_string(value),
           at + ": remote_error " + e.type_name() + " for " + fault_name(f));
    return "remote_error";
  } catch (const std::runtime_error& e) {
    expect(f == fault::throw_std && e.what() == "std fault " + std::to_string(value),
           at + ": std::runtime_error '" + e.what() + "' for " + fault_name(f));
    return "runtime_error";
  } catch (const std::exception& e) {
    expect(false, at + ": unexpected " + e.what() + " for " + fault_name(f));
    return "other";
  }
}

fault planted(int i) {
  if (i % 20 != 7) return fault::none;  // 5% of the tasks
  return static_cast<fault>(1 + (i / 20) % (static_cast<int>(fault::count) - 1));
}

// Open memfds of this process.
int memfds() {
  int n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (const dirent* e = ::readdir(d)) {
      char target[256] = {};
      const std::string link = std::string("/proc/self/fd/") + e->d_name;
      if (::readlink(link.c_str(), target, sizeof target - 1) > 0 && std::strncmp(target, "/memfd:", 7) == 0) ++n;
    }
    ::closedir(d);
  }
  return n;
}

struct baseline {
  int fds = breakeven_test::open_fds();
  int memfd = memfds();
  std::set<std::string> dev_shm = breakeven_test::dev_shm_entries();
};

void hygiene(const baseline& b, const std::string& part) {
  const bool settled = breakeven_test::settles(b.fds, 5000ms);
  expect(settled, part + ": left " + std::to_string(breakeven_test::stray_children().size()) + " child process(es), " +
                      std::to_string(breakeven_test::open_fds() - b.fds) + " descriptor(s)");
  expect(memfds() == b.memfd, part + ": left " + std::to_string(memfds() - b.memfd) + " memfd(s)");
  expect(breakeven_test::dev_shm_entries() == b.dev_shm, part + ": changed /dev/shm");
  expect(breakeven_test::shared_segment_mappings().count == 0, part + ": left a shared segment mapped");
}

void process_faults(be::start_method m, int tasks) {
  const baseline b;
  const std::string part = "faults/" + std::string(be::to_string(m));
  std::map<std::string, int> outcomes;
  {
    be::process_pool_options o;
    o.workers = 2;
    o.method = m;
    o.pin_workers = false;
    o.task_timeout = 1000ms;  // past any scheduling delay of a loaded test machine
    be::process_pool pool(o);
    // submit + as_completed: every index exactly once.
    std::vector<std::future<std::int64_t>> fs;
    for (int i = 0; i < tasks; ++i) fs.push_back(pool.submit(faulty{}, std::int64_t{i} * 16 + static_cast<int>(planted(i))));
    std::vector<int> seen(static_cast<std::size_t>(tasks), 0);
    for (const std::size_t i : pool.as_completed(fs)) {
      ++seen[i];
      auto& f = fs[i];
      ++outcomes[check_outcome(static_cast<std::int64_t>(i), planted(static_cast<int>(i)), [&] { return f.get(); },
                               part + " task " + std::to_string(i))];
    }
    for (int i = 0; i < tasks; ++i) expect(seen[static_cast<std::size_t>(i)] == 1, part + ": task " + std::to_string(i) + " completed " + std::to_string(seen[static_cast<std::size_t>(i)]) + " times");
    // imap_unordered: each item's value or error once.
    std::vector<std::int64_t> in;
    for (int i = 0; i < tasks; ++i) in.push_back(std::int64_t{i} * 16 + static_cast<int>(planted(i)));
    std::vector<int> seen2(in.size(), 0);
    for (auto&& c : pool.imap_unordered(faulty{}, in)) {
      ++seen2[c.index()];
      ++outcomes[check_outcome(static_cast<std::int64_t>(c.index()), planted(static_cast<int>(c.index())), [&] { return c.get(); },
                               part + " imap_unordered item " + std::to_string(c.index()))];
    }
    for (std::size_t i = 0; i < in.size(); ++i) expect(seen2[i] == 1, part + ": imap_unordered item " + std::to_string(i) + " came " + std::to_string(seen2[i]) + " times");
    const auto s = pool.stats();
    expect(s.tasks_completed + s.tasks_failed == static_cast<std::uint64_t>(2 * tasks),
           part + ": the pool counted " + std::to_string(s.tasks_completed + s.tasks_failed) + " tasks");
  }
  hygiene(b, part);
  std::printf("%-24s %d tasks x 2 calls:", part.c_str(), tasks);
  for (const auto& [k, n] : outcomes) std::printf(" %s %d,", k.c_str(), n);
  std::printf(" nothing left\n");
}

void outside_kills(be::start_method m, int tasks) {
  const baseline b;
  const std::string part = "kill -9/" + std::string(be::to_string(m));
  int values = 0, lost = 0, kills = 0;
  {
    be::process_pool_options o;
    o.workers = 3;
    o.method = m;
    o.pin_workers = false;
    be::process_pool pool(o);
    std::vector<std::future<std::int32_t>> fs;
    for (int i = 0; i < tasks; ++i) fs.push_back(pool.submit(nap_pid{}, 2));
    std::vector<int> seen(fs.size(), 0);
    std::set<pid_t> killed;
    for (const std::size_t i : pool.as_completed(fs)) {
      ++seen[i];
      try {
        const pid_t pid = fs[i].get();
        ++values;
        // (A value from a worker killed since is fine: it sent the answer before it died.)
        if (values % 40 == 20 && killed.insert(pid).second) {  // from outside the pool, as an operator would
          ::kill(pid, SIGKILL);
          ++kills;
        }
      } catch (const be::worker_lost& e) {
        ++lost;
        expect(e.status().signaled() && e.status().code == SIGKILL, part + ": " + e.what());
      } catch (const std::exception& e) {
        expect(false, part + ": unexpected " + e.what());
      }
    }
    for (std::size_t i = 0; i < seen.size(); ++i) expect(seen[i] == 1, part + ": task " + std::to_string(i) + " completed " + std::to_string(seen[i]) + " times");
    expect(values + lost == tasks, part + ": values and errors do not add up to the tasks");
    expect(lost <= kills, part + ": more tasks lost than workers killed");
  }
  hygiene(b, part);
  std::printf("%-24s %d tasks: %d values, %d lost to %d kills, nothing left\n", part.c_str(), tasks, values, lost, kills);
}

void shm_faults(be::start_method m, int items) {
  const baseline b;
  const std::string part = "shm crash/" + std::string(be::to_string(m));
  std::size_t failed = 0;
  {
    be::shared_memory_options o;
    o.processes.workers = 2;
    o.processes.method = m;
    o.processes.pin_workers = false;
    be::shared_memory_pool pool(o);
    std::vector<std::int32_t> in(static_cast<std::size_t>(items));
    for (int i = 0; i < items; ++i) in[static_cast<std::size_t>(i)] = i;
    for (int round = 0; round < 3; ++round) {
      std::vector<std::int32_t> out(in.size(), -1);
      const auto r = pool.try_bulk_map(stest::triple_or_crash{items / 3 * round + 17}, in, out.begin(), be::schedule{64, 0, true});
      for (std::size_t i = 0; i < in.size(); ++i) {
        if (r.failed(i)) ++failed;
        else expect(out[i] == 3 * in[i], part + ": a wrong value at item " + std::to_string(i));
      }
      expect(r.failed(static_cast<std::size_t>(items / 3 * round + 17)), part + ": the crashing item did not fail");
    }
    pool.segment()->trim();
    expect(pool.stats().segment.resident_bytes < (std::size_t{1} << 20), part + ": the trimmed segment holds " +
                                                                              std::to_string(pool.stats().segment.resident_bytes) + " bytes");
  }
  hygiene(b, part);
  std::printf("%-24s 3 calls of %d items, 3 crashes: %zu items failed, the rest right, nothing left\n", part.c_str(), items,
              failed);
}

void parent_deaths(be::start_method m) {
  namespace pd = breakeven_test::parent_death;
  const baseline b;
  const std::string part = "parent death/" + std::string(be::to_string(m));
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  std::string times;
  for (const int sig : {SIGTERM, SIGINT, SIGKILL}) {
    const pd::round_result r = pd::kill_parent("/proc/self/exe", std::string(be::to_string(m)).c_str(), sig);
    const std::string at = part + " by SIG" + ::sigabbrev_np(sig);
    expect(r.running == 3, at + ": the parent's three tasks did not start");
    expect(r.parent_signal == sig, at + ": the parent did not die of the signal");
    expect(r.survivors.empty(), at + ": " + std::to_string(r.survivors.size()) + " process(es) survived");
    expect(r.took < 2000ms, at + ": took " + std::to_string(r.took.count()) + " ms");
    times += std::string(" SIG") + ::sigabbrev_np(sig) + " " + std::to_string(r.watched) + " gone in " + std::to_string(r.took.count()) + " ms,";
  }
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
  hygiene(b, part);
  std::printf("%-24s%s nothing left\n", part.c_str(), times.c_str());
}

}  // namespace campaign

BREAKEVEN_REGISTER_EXCEPTION(campaign::user_error);

int main(int argc, char* argv[]) {
  be::process_runtime::init(argc, argv);
  if (argc == 3 && std::strcmp(argv[1], "--parent") == 0) return breakeven_test::parent_death::parent_program(argv[2]);
  int tasks = 300;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--tasks") == 0 && i + 1 < argc) {
      tasks = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: %s [--tasks N]\n", argv[0]);
      return 2;
    }
  }
  breakeven_test::start_sanitizer_symbolizer();
  const auto t0 = std::chrono::steady_clock::now();
  for (const auto m : {be::start_method::fork, be::start_method::fork_server, be::start_method::spawn}) {
    campaign::process_faults(m, tasks);
    campaign::outside_kills(m, tasks);
    campaign::shm_faults(m, tasks * 10);
    campaign::parent_deaths(m);
  }
  const auto s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (campaign::failures != 0) {
    std::printf("fault campaign: %d broken promise(s) in %.1f s\n", campaign::failures, s);
    return 1;
  }
  std::printf("fault campaign: every task gave exactly its value or its error, nothing left, in %.1f s\n", s);
  return 0;
}
