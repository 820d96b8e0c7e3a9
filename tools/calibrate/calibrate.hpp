// calibrate/calibrate.hpp - measures this machine's machine_profile: every overhead term
// with warm-up, many samples and medians, and how widely the samples scatter. Part of
// breakeven-calibrate (tools/), not of the installed headers.
//
// What each term prices, and how it is measured (the calibration guide, docs/calibration.md):
//   thread_start_ns      start a pool of `cores` threads and run one task on each
//   thread_dispatch_ns   one task handed to a spinning worker and its completion seen
//   wake_ns              one task on each of `cores` parked workers after 1 ms idle
//   process_start_ns     fork `cores` worker processes and hear each is running
//   process_dispatch_ns  one small message's round trip to a worker process (socketpair)
//   pipe_ns_per_byte     breakeven::process_pool: one task of 1,024 pages of 4 KiB echoed by
//                        its worker, less a task of one page, per byte moved (in + out)
//   shm_setup_ns         breakeven::shared_memory_pool: its first call on a new pool (the
//                        segment made, mapped and sent to the worker), less its second
//   shm_page_ns          a fresh segment grown by 4 MiB as the pool grows its own (pages
//                        allocated and mapped at once), then each page touched, per page
//   memcpy_ns_per_byte   memcpy of 16 MiB between buffers already touched
//   cores                CPUs this process may run on (affinity, cgroup quota)
//   memory_bound_scaling throughput of `cores` threads streaming memory / one thread's
// The margins (overhead_factor, min_speedup) are policy, not measurements: options.
#pragma once

#include "rigs.hpp"
#include "sampling.hpp"

#include <breakeven/executor/shared_memory.hpp>
#include <breakeven/profile.hpp>
#include <breakeven/profile_io.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <sched.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace breakeven::calibration {

/// How a term's value was arrived at.
enum class verdict : std::uint8_t {
  measured,           ///< its slices agreed at the first attempt
  retaken,            ///< disturbed slices were taken again until they agreed
  kept_conservative,  ///< never stable: the profile keeps the conservative profile's value
};

/// One measured term: the profile key it sets (empty for figures shown for information).
struct term {
  std::string key;
  std::string title;
  std::string unit;  ///< "ns", "ns/B", "x", "cores"
  summary stats;     ///< of the slices kept (every slice's samples when none agreed)
  verdict how = verdict::measured;
  unsigned retakes = 0;  ///< slices taken again (disturbed by other processes, or disagreeing)
};

/// "measured", "retaken", "kept conservative".
inline std::string_view to_string(verdict v) noexcept {
  switch (v) {
    case verdict::measured: return "measured";
    case verdict::retaken: return "retaken";
    case verdict::kept_conservative: return "kept conservative";
  }
  return "?";
}

/// One term's measurement: a slice of samples taken each round, with the primitive it
/// needs set up for the slice and torn down after it.
struct probe {
  std::string key, title, unit;
  std::size_t warmup = 3;         ///< samples discarded at the start of each slice
  std::size_t per_round = 100;    ///< samples per slice at most
  double budget_ms = 100;         ///< time per slice at most (the first sample is always kept)
  /// Takes one slice: `take(f)` warms up with f() and then collects its samples.
  std::function<void(const std::function<void(const std::function<double()>&)>& take)> slice;
};

/// What to calibrate with.
struct options {
  const char* name = "calibrated";
  double overhead_factor = 2;  ///< parallel only when work > factor x overhead
  double min_speedup = 1.2;    ///< ... and estimated speedup > this
  unsigned io_threads = 16;    ///< threads for I/O-bound kernels (a policy, not measured)
  /// Scales every sample budget: 1 for a profile, less for a quick look (tests).
  double time_scale = 1;
  /// Rounds over every probe (each term's samples spread over the whole calibration), and
  /// how many are taken even past the deadline.
  unsigned rounds = 6;
  unsigned min_rounds = 2;
  /// Rounds, and retakes, that would end after this many seconds are skipped (a busy machine).
  double deadline_s = 25;
  /// A term's slice taken while other processes used more than this share of the CPUs is
  /// disturbed: taken again at once, up to `slice_attempts` times in all (the least
  /// disturbed one is kept), and left out of the term if it stays disturbed.
  double max_foreign_load = 0.1;
  unsigned slice_attempts = 3;
  /// A term is stable when most of its undisturbed slices' medians lie within this factor
  /// of their median; the others are left out.
  double max_slice_ratio = 2;
  /// After the rounds, an unstable term's slices are taken again, up to this many times;
  /// a term still unstable then keeps `fallback`'s value, and says so.
  unsigned max_retakes = 4;
  machine_profile fallback = profiles::conservative::value;
  /// Probes that replace the built-in probe of the same key (or add a term): the seam for
  /// measuring through the library's executors instead of the rigs.
  std::vector<probe> probes;
  /// Called before each slice: what it measures (a term's title; "retaking " and a title
  /// after the rounds), its round (from 1) and the number of rounds (of retakes).
  std::function<void(std::string_view, unsigned, unsigned)> progress;
};

/// A calibration: the profile, every term behind it, and how long it took.
struct result {
  machine_profile profile{};
  std::vector<term> terms;
  double seconds = 0;
  double foreign_load = 0;  ///< share of all CPUs' time other processes used during calibration
  unsigned rounds = 0;      ///< rounds taken (fewer than options::rounds past the deadline)
  unsigned retaken_slices = 0;  ///< slices taken again (disturbed by other processes, or disagreeing)
  unsigned kept_conservative = 0;  ///< profile terms never stable: the fallback's value kept

  const term* find(std::string_view key) const {
    for (const auto& t : terms)
      if (t.key == key) return &t;
    return nullptr;
  }
};

namespace detail {

/// Cores this process may use: its CPU affinity, capped by a cgroup v2 CPU quota.
inline unsigned usable_cores() {
  unsigned n = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) n = static_cast<unsigned>(CPU_COUNT(&set));
  if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());
  std::ifstream cpu_max("/sys/fs/cgroup/cpu.max");
  std::string quota;
  double period = 0;
  if (cpu_max >> quota >> period && quota != "max" && period > 0) {
    const double q = std::strtod(quota.c_str(), nullptr);
    if (q > 0) n = std::min(n, static_cast<unsigned>(std::max(1.0, std::ceil(q / period))));
  }
  return n;
}

/// CPU time (ns) all CPUs spent busy, from /proc/stat; 0 where unreadable.
inline double machine_busy_ns() {
  std::ifstream stat("/proc/stat");
  std::string cpu;
  double user = 0, nice = 0, sys = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  if (!(stat >> cpu >> user >> nice >> sys >> idle >> iowait >> irq >> softirq >> steal) || cpu != "cpu") return 0;
  return (user + nice + sys + irq + softirq) * 1e9 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

/// Pids of the running children of process `pid` (every thread's), from /proc.
inline std::vector<std::string> live_children(const std::string& pid) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + pid + "/task", ec)) {
    std::ifstream list(task.path() / "children");  // Linux >= 3.5 with CONFIG_PROC_CHILDREN
    for (std::string child; list >> child;) out.push_back(child);
  }
  return out;
}

/// CPU time (ns) of the running descendants of this process (a process rig's workers; the
/// fork server and the process pools' workers it forked), each with the time of its own
/// children that it has reaped, from /proc/<pid>/stat.
inline double live_children_cpu_ns() {
  double ticks = 0;
  std::vector<std::string> todo = live_children(std::to_string(::getpid()));
  for (std::size_t depth = 0; !todo.empty() && depth < 8; ++depth) {
    std::vector<std::string> next;
    for (const std::string& pid : todo) {
      std::ifstream stat("/proc/" + pid + "/stat");
      std::string line;
      if (!std::getline(stat, line)) continue;
      const auto close = line.rfind(')');  // the command name may hold spaces
      if (close == std::string::npos) continue;
      std::istringstream fields(line.substr(close + 2));
      std::string f;
      for (int i = 3; i <= 17 && fields >> f; ++i)
        if (i >= 14) ticks += std::strtod(f.c_str(), nullptr);  // utime, stime, cutime, cstime
      for (auto& child : live_children(pid)) next.push_back(std::move(child));
    }
    todo = std::move(next);
  }
  return ticks * 1e9 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

/// CPU time (ns) this process and its children (reaped or still running) have used.
inline double own_cpu_ns() {
  double total = live_children_cpu_ns();
  for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage u{};
    if (getrusage(who, &u) == 0)
      total += (static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e9 +
                static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e3);
  }
  return total;
}

}  // namespace detail

/// The share of all CPUs' time that *other* processes used since construction: the load a
/// measurement competed with.
class load_meter {
 public:
  load_meter() : wall_(now_ns()), busy_(detail::machine_busy_ns()), own_(detail::own_cpu_ns()) {}
  double foreign_share() const {
    const double wall = now_ns() - wall_;
    const double foreign = (detail::machine_busy_ns() - busy_) - (detail::own_cpu_ns() - own_);
    const double cpus = std::max(1u, std::thread::hardware_concurrency());
    return wall > 0 ? std::clamp(foreign / (wall * cpus), 0.0, 1.0) : 0;
  }

 private:
  double wall_, busy_, own_;
};

namespace detail {

/// A dependent arithmetic chain the compiler cannot fold: `iterations` steps of CPU work.
inline std::uint64_t spin_work(std::uint64_t iterations) noexcept {
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  for (std::uint64_t i = 0; i < iterations; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    asm volatile("" : "+r"(x));
  }
  return x;
}

inline void keep(const void* p) noexcept { asm volatile("" : : "r"(p) : "memory"); }

/// The payload of the transport probes: one page.
using calibration_page = std::array<std::byte, 4096>;

/// Returns its page: what the library's pools cost to move bytes, and nothing else.
struct echo_page {
  using input_type = calibration_page;
  using output_type = calibration_page;
  static constexpr auto cost = std::chrono::nanoseconds{50};
  static constexpr bool thread_safe = false;  // plans weigh processes only
  static constexpr std::string_view name = "breakeven.calibrate.echo_page";
  calibration_page operator()(const calibration_page& x) const noexcept { return x; }
};

/// The probes' pools: one worker, forked by a private server (`fork`), in the single-threaded
/// child that samples_in_child makes.
inline process_pool_options probe_pool_options() {
  process_pool_options o;
  o.workers = 1;
  o.method = start_method::fork;
  return o;
}

/// `count` samples of `once`, taken in a forked child that sends them back and exits. The
/// library's pools, moving megabytes, leave this process's malloc arenas megabytes larger,
/// and every later fork from it slower (process_start_ns doubled); in a child, nothing stays.
inline std::vector<double> samples_in_child(std::size_t count, const std::function<double()>& once) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "breakeven: pipe (calibration)");
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int e = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::system_error(e, std::generic_category(), "breakeven: fork (calibration)");
  }
  if (pid == 0) {
    ::close(fds[0]);
    int status = 0;
    try {
      for (std::size_t i = 0; i < count; ++i) {
        const double v = once();
        if (::write(fds[1], &v, sizeof v) != static_cast<ssize_t>(sizeof v)) {
          status = 3;
          break;
        }
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "breakeven-calibrate: a probe's child stopped: %s\n", e.what());
      status = 2;
    } catch (...) {
      status = 2;
    }
    ::_exit(status);
  }
  ::close(fds[1]);
  std::vector<double> out;
  double v = 0;
  std::size_t have = 0;
  for (;;) {
    const ssize_t n = ::read(fds[0], reinterpret_cast<char*>(&v) + have, sizeof v - have);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    have += static_cast<std::size_t>(n);
    if (have == sizeof v) {
      out.push_back(v);
      have = 0;
    }
  }
  ::close(fds[0]);
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || out.size() != count)
    throw std::runtime_error("breakeven: a calibration probe's child failed (" + std::to_string(out.size()) + " of " +
                             std::to_string(count) + " samples)");
  return out;
}

/// Hands samples taken elsewhere to a probe's `take`, one per call.
inline std::function<double()> replay(const std::vector<double>& samples) {
  return [&samples, i = std::size_t{0}]() mutable { return samples[std::min(i++, samples.size() - 1)]; };
}

inline std::uint64_t stream_sum(const std::uint64_t* p, std::size_t n) noexcept {
  std::uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (std::size_t i = 0; i + 4 <= n; i += 4) {
    s0 += p[i];
    s1 += p[i + 1];
    s2 += p[i + 2];
    s3 += p[i + 3];
  }
  return s0 + s1 + s2 + s3;
}

}  // namespace detail

/// Rounds over every probe by default: spreading each term's samples over the whole
/// calibration makes two calibrations agree even when other processes load the machine for
/// a while.
inline constexpr unsigned calibration_rounds = 6;

namespace detail {

/// One slice of a term: its samples, their median, and the share of the CPUs other
/// processes used meanwhile.
struct slice_record {
  std::vector<double> samples;
  double median = 0;
  double load = 0;
};

/// The slices of a term that count: undisturbed ones whose medians lie within `ratio` of
/// their median. Empty (the term is unstable) when fewer than two qualify (one, when only
/// one slice was taken), or when they are not the greater part of the undisturbed ones.
inline std::vector<const slice_record*> stable_slices(const std::vector<slice_record>& slices, double max_load,
                                                      double ratio) {
  std::vector<const slice_record*> calm;
  for (const auto& sl : slices)
    if (sl.load <= max_load && !sl.samples.empty()) calm.push_back(&sl);
  if (calm.empty()) return {};
  std::vector<double> medians;
  for (const auto* sl : calm) medians.push_back(sl->median);
  const double mid = summarize(medians).median;
  std::vector<const slice_record*> agree;
  for (const auto* sl : calm) {
    const double lo = std::min(sl->median, mid), hi = std::max(sl->median, mid);
    if (hi <= 0 || hi <= ratio * lo) agree.push_back(sl);
  }
  const std::size_t need = slices.size() >= 2 ? 2 : 1;
  if (agree.size() < need || 2 * agree.size() <= calm.size()) return {};
  return agree;
}

}  // namespace detail

/// Measures this machine. Forks worker processes and starts threads; leaves none behind.
///
/// Latencies are measured in one of two steady states, never in between (where the
/// scheduler's placement of threads varies from run to run): *cold*, after 1 ms idle, so
/// idle CPUs have halted (start and wake terms), or *hot*, with both sides spinning on
/// separate cores (dispatch and transfer terms).
inline result calibrate(const options& opt = {}) {
  const double t_start = now_ns();
  const load_meter load;
  const double scale = opt.time_scale > 0 ? opt.time_scale : 1;
  result r;
  machine_profile& p = r.profile;
  p.name = opt.name;
  p.overhead_factor = opt.overhead_factor;
  p.min_speedup = opt.min_speedup;
  p.io_threads = opt.io_threads;
  p.call_overhead_ns = 0;  // every per-call cost is in wake and dispatch
  p.assume_warm = true;
  p.page_bytes = static_cast<double>(sysconf(_SC_PAGESIZE));
  p.cores = detail::usable_cores();
  const unsigned w = p.cores;
  const auto spin_or_park = w > 1 ? thread_rig::idle::spin : thread_rig::idle::park;
  constexpr double idle_gap_ns = 1e6;  // long enough for idle CPUs to halt
  const std::size_t page = static_cast<std::size_t>(p.page_bytes);
  const std::size_t stream_words = (std::size_t{32} << 20) / sizeof(std::uint64_t);
  // Probes that take their samples in a child take fewer in a quick calibration (two at least).
  const auto child_samples = [scale](std::size_t n) {
    return std::max<std::size_t>(2, static_cast<std::size_t>(std::lround(static_cast<double>(n) * std::min(1.0, scale))));
  };
  // Large buffers live only within their slices: fork() copies the page tables of the
  // whole process, so a big parent would make every process term read slower.

  std::vector<probe> probes;
  probes.push_back({"process_start_ns", "process pool start", "ns", 1, 40, 250, [&](auto take) {
                      take([&] {
                        sleep_ns(idle_gap_ns);
                        const double t0 = now_ns();
                        process_rig rig(w);
                        return now_ns() - t0;
                      });
                    }});
  probes.push_back({"process_dispatch_ns", "process round trip (polling)", "ns", 100, 400, 60, [&](auto take) {
                      process_rig rig(1, spin_or_park);
                      take([&] {
                        constexpr int batch = 20;
                        const double t0 = now_ns();
                        for (int i = 0; i < batch; ++i) rig.echo(0);
                        return (now_ns() - t0) / batch;
                      });
                    }});
  probes.push_back({"pipe_ns_per_byte", "process pool transport per byte", "ns/B", 0, 8, 1000, [&](auto take) {
                      constexpr std::size_t pages = 1024;  // 4 MiB in, 4 MiB out
                      const auto samples = detail::samples_in_child(child_samples(8), [] {
                        static process_pool pool(detail::probe_pool_options());  // one per child
                        static std::vector<detail::calibration_page> in(pages), out(pages);
                        const auto call = [&](std::size_t n) {
                          const double t0 = now_ns();
                          pool.bulk_map(detail::echo_page{}, std::span(in).first(n), out.begin(), schedule{.chunk = n});
                          return now_ns() - t0;
                        };
                        static const double warm_up = call(pages);  // the child's buffers touched once
                        (void)warm_up;
                        const double one = call(1);
                        const double all = call(pages);
                        const double moved = 2.0 * static_cast<double>((pages - 1) * sizeof(detail::calibration_page));
                        return std::max(0.0, all - one) / moved;
                      });
                      take(detail::replay(samples));
                    }});
  probes.push_back({"", "wake processes after idle", "ns", 2, 400, 250, [&](auto take) {
                      process_rig rig(w);
                      take([&] {
                        sleep_ns(idle_gap_ns);
                        const double t0 = now_ns();
                        rig.echo_all();
                        return now_ns() - t0;
                      });
                    }});
  probes.push_back({"thread_start_ns", "thread pool start", "ns", 1, 400, 250, [&](auto take) {
                      take([&] {
                        sleep_ns(idle_gap_ns);
                        const double t0 = now_ns();
                        thread_rig rig(w, thread_rig::idle::park);
                        rig.run_empty();
                        return now_ns() - t0;
                      });
                    }});
  probes.push_back({"thread_dispatch_ns", "thread dispatch (spinning)", "ns", 20, 400, 60, [&](auto take) {
                      // One spinning worker, the caller spinning on another core. On one
                      // core spinning would measure time slices: the worker parks there.
                      thread_rig rig(1, spin_or_park);
                      take([&] {
                        constexpr int batch = 100;
                        const double t0 = now_ns();
                        for (int i = 0; i < batch; ++i) rig.run_empty();
                        return (now_ns() - t0) / batch;
                      });
                    }});
  probes.push_back({"wake_ns", "wake threads after idle", "ns", 2, 600, 500, [&](auto take) {
                      thread_rig rig(w, thread_rig::idle::park);
                      take([&] {
                        sleep_ns(idle_gap_ns);
                        const double t0 = now_ns();
                        rig.run_empty();
                        return now_ns() - t0;
                      });
                    }});
  probes.push_back({"shm_setup_ns", "shm segment set-up", "ns", 0, 6, 1000, [&](auto take) {
                      const auto samples = detail::samples_in_child(child_samples(6), [] {
                        const std::vector<detail::calibration_page> in(1);
                        std::vector<detail::calibration_page> out(1);
                        shared_memory_pool pool(shared_memory_options{.processes = detail::probe_pool_options()});
                        const schedule one{.chunk = 1};
                        pool.processes().bulk_map(detail::echo_page{}, in, out.begin(), one);  // the worker up, no segment
                        double t0 = now_ns();
                        pool.bulk_map(detail::echo_page{}, in, out.begin(), one);
                        const double first = now_ns() - t0;
                        t0 = now_ns();
                        pool.bulk_map(detail::echo_page{}, in, out.begin(), one);
                        return std::max(0.0, first - (now_ns() - t0));
                      });
                      take(detail::replay(samples));
                    }});
  probes.push_back({"shm_page_ns", "shm first touch per page", "ns", 1, 60, 100, [&](auto take) {
                      const std::size_t bytes = std::size_t{4} << 20;
                      take([&] {
                        shm_segment seg(bytes);
                        const double t0 = now_ns();
                        char* data = seg.allocate();
                        for (std::size_t off = 0; off < bytes; off += page) data[off] = 1;
                        const double t = now_ns() - t0;
                        detail::keep(seg.data());
                        return t / static_cast<double>(bytes / page);
                      });
                    }});
  probes.push_back({"memcpy_ns_per_byte", "memcpy per byte", "ns/B", 1, 40, 100, [&](auto take) {
                      std::vector<char> big_a(std::size_t{16} << 20, 'a'), big_b(std::size_t{16} << 20, 'b');
                      take([&] {
                        const double t0 = now_ns();
                        std::memcpy(big_b.data(), big_a.data(), big_b.size());
                        detail::keep(big_b.data());
                        return (now_ns() - t0) / static_cast<double>(big_b.size());
                      });
                    }});
  // Scaling: the caller and `cores - 1` spinning workers each run a task, one alone or all
  // at once; a sample is the ratio of one pair of runs (throughput of all / of one).
  std::vector<std::unique_ptr<std::uint64_t[]>> arrays;
  const auto scaling = [&](auto&& work, bool streams) {
    return [&, work, streams](auto take) {
      if (streams)  // each core streams its own 32 MiB, beyond the caches
        for (unsigned i = 0; i < w; ++i) {
          arrays.emplace_back(new std::uint64_t[stream_words]);
          std::fill_n(arrays.back().get(), stream_words, i + 1);
        }
      thread_rig rig(w - 1, spin_or_park);
      std::vector<std::uint64_t> sink(w);
      const auto run = [&](unsigned active) {
        auto task = [&](unsigned i) {
          if (i < active) sink[i] = work(i);
        };
        const double t0 = now_ns();
        rig.run_all_and_self(task);
        return now_ns() - t0;
      };
      take([&] {
        const double one = run(1);
        const double all = run(w);
        return w * one / all;
      });
      arrays.clear();
    };
  };
  probes.push_back({"memory_bound_scaling", "memory-bound scaling", "x", 1, 20, 150,
                    scaling([&](unsigned i) { return detail::stream_sum(arrays[i].get(), stream_words); }, true)});
  probes.push_back({"", "CPU-bound scaling", "x", 1, 20, 100,
                    scaling([](unsigned) { return detail::spin_work(1'000'000); }, false)});

  for (const probe& extra : opt.probes) {
    auto same = std::find_if(probes.begin(), probes.end(), [&](const probe& b) { return !extra.key.empty() && b.key == extra.key; });
    if (same != probes.end()) *same = extra;
    else probes.push_back(extra);
  }

  std::vector<std::vector<detail::slice_record>> slices(probes.size());
  std::vector<unsigned> retakes(probes.size(), 0);
  const unsigned rounds = std::max(1u, opt.rounds);
  // On a busy machine slices run long: stop early rather than pass the deadline (a round
  // that would end after it is skipped; min_rounds are always taken).
  const double deadline_ns = opt.deadline_s * 1e9;
  // Takes one slice of probe k: at once again while other processes disturb it (up to
  // slice_attempts in all, until `until`), keeping the least disturbed one.
  const auto take_slice = [&](std::size_t k, double until) {
    const probe& pr = probes[k];
    detail::slice_record best;
    best.load = 2;
    for (unsigned attempt = 0; attempt < std::max(1u, opt.slice_attempts) && best.load > opt.max_foreign_load; ++attempt) {
      if (attempt > 0 && now_ns() > until) break;
      const load_meter load;
      std::vector<double> taken;
      pr.slice([&](const std::function<double()>& once) {
        for (std::size_t i = 0; i < pr.warmup; ++i) (void)once();
        const double t0 = now_ns();
        for (std::size_t i = 0; i < pr.per_round; ++i) {
          taken.push_back(once());
          if (now_ns() - t0 > pr.budget_ms * 1e6 * scale) break;
        }
      });
      const double foreign = load.foreign_share();
      if (foreign < best.load) {
        best.load = foreign;
        best.samples = std::move(taken);
      }
      if (attempt > 0) {
        ++r.retaken_slices;
        ++retakes[k];
      }
    }
    best.median = summarize(best.samples).median;
    slices[k].push_back(std::move(best));
  };
  double longest_round = 0;
  for (unsigned round = 0; round < rounds; ++round) {
    const double round_start = now_ns();
    if (round >= std::max(1u, opt.min_rounds) && round_start - t_start + longest_round > deadline_ns) break;
    for (std::size_t k = 0; k < probes.size(); ++k) {
      if (opt.progress) opt.progress(probes[k].title, round + 1, rounds);
      take_slice(k, t_start + deadline_ns * (round + 1) / rounds);
    }
    longest_round = std::max(longest_round, now_ns() - round_start);
    ++r.rounds;
  }
  // Terms whose slices disagree, or were disturbed, are taken again while the deadline
  // allows, until as many slices as rounds agree; a slice that disagrees with the rest is
  // left out.
  const double per_slice = (now_ns() - t_start) / std::max<double>(1, double(r.rounds) * double(probes.size()));
  for (unsigned retake = 1; retake <= opt.max_retakes; ++retake) {
    for (std::size_t k = 0; k < probes.size(); ++k) {
      if (detail::stable_slices(slices[k], opt.max_foreign_load, opt.max_slice_ratio).size() >= r.rounds) continue;
      if (now_ns() - t_start + per_slice > deadline_ns) break;
      if (opt.progress) opt.progress("retaking " + probes[k].title, retake, opt.max_retakes);
      ++r.retaken_slices;
      ++retakes[k];
      take_slice(k, t_start + deadline_ns);
    }
  }

  r.terms.push_back({"cores", "usable cores", "cores", summary{double(w), double(w), double(w), 1}});
  for (std::size_t k = 0; k < probes.size(); ++k) {
    const probe& pr = probes[k];
    const auto kept = detail::stable_slices(slices[k], opt.max_foreign_load, opt.max_slice_ratio);
    std::vector<double> all;
    for (const auto& sl : slices[k])
      if (kept.empty() || std::find(kept.begin(), kept.end(), &sl) != kept.end())
        all.insert(all.end(), sl.samples.begin(), sl.samples.end());
    summary st = summarize(std::move(all));
    if (pr.unit == "x") {  // a ratio of at most the cores, at least none lost
      for (double* v : {&st.p10, &st.median, &st.p90}) *v = std::clamp(*v, 1.0, double(w));
    }
    const verdict how = kept.empty()                                          ? verdict::kept_conservative
                        : retakes[k] > 0                                    ? verdict::retaken
                                                                              : verdict::measured;
    for (const auto& f : breakeven::detail::profile_fields)
      if (f.key == pr.key && f.real != nullptr) p.*(f.real) = kept.empty() ? opt.fallback.*(f.real) : st.median;
    r.kept_conservative += kept.empty() && !pr.key.empty();
    r.terms.push_back({pr.key, pr.title, pr.unit, st, how, retakes[k]});
  }
  r.seconds = (now_ns() - t_start) / 1e9;
  r.foreign_load = load.foreign_share();
  return r;
}

/// A duration or rate with its unit, for the table.
inline std::string format_value(double v, std::string_view unit) {
  char buf[64];
  if (unit == "ns") {
    if (v >= 1e6) std::snprintf(buf, sizeof buf, "%.2f ms", v / 1e6);
    else if (v >= 1e3) std::snprintf(buf, sizeof buf, "%.2f us", v / 1e3);
    else std::snprintf(buf, sizeof buf, "%.0f ns", v);
  } else if (unit == "ns/B") {
    std::snprintf(buf, sizeof buf, "%.4f ns/B", v);
  } else if (unit == "x") {
    std::snprintf(buf, sizeof buf, "%.2fx", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f %s", v, std::string(unit).c_str());
  }
  return buf;
}

/// The calibration as a readable table: each term's median, the p10..p90 range of single
/// samples and their spread, or how the value was arrived at when slices were disturbed
/// ("retaken", "kept conservative"); then the profile's policy terms.
inline std::string table(const result& r) {
  std::vector<std::array<std::string, 6>> rows;
  rows.push_back({"term", "profile key", "median", "p10 .. p90", "spread", "samples"});
  for (const auto& t : r.terms) {
    std::array<std::string, 6> row;
    char buf[64];
    row[0] = t.title;
    row[1] = t.key.empty() ? "(shown only)" : t.key;
    row[2] = format_value(t.stats.median, t.unit);
    row[3] = format_value(t.stats.p10, t.unit) + " .. " + format_value(t.stats.p90, t.unit);
    if (t.how == verdict::kept_conservative) {
      row[4] = t.key.empty() ? "unstable" : "kept conservative";
    } else if (t.how == verdict::retaken) {
      std::snprintf(buf, sizeof buf, "retaken x%u", t.retakes);
      row[4] = buf;
    } else {
      std::snprintf(buf, sizeof buf, "%.0f%%", 100 * t.stats.spread());
      row[4] = buf;
    }
    row[5] = std::to_string(t.stats.samples);
    if (t.unit == "ns/B" && t.stats.median > 0) {
      std::snprintf(buf, sizeof buf, "  (%.2f GB/s)", 1.0 / t.stats.median);
      row[5] += buf;
    }
    rows.push_back(std::move(row));
  }
  std::array<std::size_t, 6> width{};
  for (const auto& row : rows)
    for (std::size_t c = 0; c < 6; ++c) {
      const std::size_t n = c == 5 ? row[c].find("  (") : row[c].size();  // the GB/s note hangs right
      width[c] = std::max(width[c], std::min(n, row[c].size()));
    }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < 6; ++c) {
      const bool right = c == 2 || c == 4 || c == 5;  // numbers and verdicts align right
      const std::size_t len = c == 5 ? std::min(row[c].find("  ("), row[c].size()) : row[c].size();
      const std::string pad(width[c] - std::min(width[c], len), ' ');
      line += right ? pad + row[c] : row[c] + pad;
      if (c < 5) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  char line[320];
  std::snprintf(line, sizeof line,
                "policy: overhead_factor %.2f, min_speedup %.2f, io_threads %u, call_overhead_ns %.0f, page_bytes %.0f\n",
                r.profile.overhead_factor, r.profile.min_speedup, r.profile.io_threads, r.profile.call_overhead_ns,
                r.profile.page_bytes);
  out += line;
  std::snprintf(line, sizeof line,
                "calibrated in %.1f s (%u rounds, %u slices retaken); other processes used %.0f%% of the CPUs meanwhile\n",
                r.seconds, r.rounds, r.retaken_slices, 100 * r.foreign_load);
  out += line;
  if (r.kept_conservative > 0) {
    std::string which;
    for (const auto& t : r.terms)
      if (t.how == verdict::kept_conservative && !t.key.empty()) which += (which.empty() ? "" : ", ") + t.key;
    out += "kept the conservative value of " + std::to_string(r.kept_conservative) +
           " term(s) whose slices never agreed undisturbed (other processes loaded the machine): " + which + "\n";
  }
  return out;
}

/// The calibration's figures as a JSON object (for the profile file's "calibration" key).
inline std::string figures_json(const result& r) {
  const auto num = [](double d) { return breakeven::detail::format_double(std::isfinite(d) ? d : 0); };
  std::string out = "{\"seconds\": " + num(r.seconds) + ", \"rounds\": " + std::to_string(r.rounds) +
                    ", \"foreign_load\": " + num(r.foreign_load) + ", \"terms\": {";
  for (std::size_t i = 0; i < r.terms.size(); ++i) {
    const term& t = r.terms[i];
    if (i) out += ", ";
    breakeven::detail::json::write_string(out, t.title);
    out += ": {\"median\": " + num(t.stats.median) + ", \"p10\": " + num(t.stats.p10) + ", \"p90\": " + num(t.stats.p90) +
           ", \"samples\": " + std::to_string(t.stats.samples) + "}";
  }
  return out + "}}";
}

}  // namespace breakeven::calibration
