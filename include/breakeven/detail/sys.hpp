// breakeven/detail/sys.hpp - the low-level primitives every executor shares: a pause for
// spin loops, a bounded spin step that yields, the rule that ends spinning while the CPUs
// are oversubscribed, futex sleep and wake, errno errors.
//
// Mechanism only (the thread pool, the IPC layer, shared memory, the calibration tool):
// the policy layer never includes OS headers.
#pragma once

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>

#include <sched.h>

#include <linux/futex.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

namespace breakeven::detail {

/// One polite poll: tells the core this is a spin loop (saves power, yields to a hyperthread).
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
  asm volatile("yield" ::: "memory");
#endif
}

/// Every (mask + 1)-th spin step yields the CPU (BREAKEVEN_SPIN_YIELD_MASK overrides; a
/// power of two minus one). 128 pauses take 3 - 5 us on current x86 cores (a pause is 24 ns
/// on AMD EPYC, ~40 ns on Intel since Skylake): several times the sched_yield that follows
/// them (~0.6 us in a virtual machine), and a small part of the wake-up the yield saves a
/// thread woken on this CPU (~60 us). A yield every 8 steps, the rule before, kept a
/// process-pool spinner in the system call three quarters of the time, where it could not
/// see its answer: a warm process round trip took 3 - 6.5 us against 1.1 - 1.3 us now
/// (docs/benchmarks.md). A yield every 4 us read from the clock, instead of a count, was
/// tried and was slower side by side (docs/benchmarks.md).
inline unsigned spin_yield_mask() noexcept {
  static const unsigned mask = [] {
    const char* v = std::getenv("BREAKEVEN_SPIN_YIELD_MASK");
    return v != nullptr ? static_cast<unsigned>(std::strtoul(v, nullptr, 10)) : 127u;
  }();
  return mask;
}

/// Counts, while it lives, a submitting thread that reads its own answer (a process pool's
/// or a cluster's eager submit); the engine's own polling thread stays off while it is nonzero.
struct eager_mark {
  std::atomic<int>* n;
  explicit eager_mark(std::atomic<int>* c) noexcept : n(c) {
    if (n != nullptr) n->fetch_add(1, std::memory_order_seq_cst);
  }
  ~eager_mark() {
    if (n != nullptr) n->fetch_sub(1, std::memory_order_release);
  }
  eager_mark(const eager_mark&) = delete;
  eager_mark& operator=(const eager_mark&) = delete;
};

/// One step of a bounded spin: mostly a pause, and every 128 steps a sched_yield, so that
/// a thread woken on this CPU (say, the caller a result was just handed to) runs within a
/// few microseconds instead of waiting for the spinner's time slice to end. On a machine
/// with few cores that is the difference between a 2 us and a 60 us round trip.
inline void spin_step(unsigned& n) noexcept {
  if ((++n & spin_yield_mask()) == 0) ::sched_yield();
  else cpu_relax();
}

/// CPUs online on this machine.
inline unsigned online_cpus() noexcept {
  static const unsigned n = [] {
    const long v = ::sysconf(_SC_NPROCESSORS_ONLN);
    return v > 0 ? static_cast<unsigned>(v) : 1u;
  }();
  return n;
}

/// This thread's CPU time and how many times it blocked (voluntary context switches), in one
/// system call; {-1, -1} where they cannot be read.
struct thread_usage {
  long long cpu_us = -1;
  long voluntary_switches = -1;
};
inline thread_usage this_thread_usage() noexcept {
  rusage ru{};
  if (::getrusage(RUSAGE_THREAD, &ru) != 0) return {};
  const long long us = (static_cast<long long>(ru.ru_utime.tv_sec) + ru.ru_stime.tv_sec) * 1'000'000 +
                       ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
  return {us, ru.ru_nvcsw};
}

/// Whether idle spinners yield to runnable threads (cpus_oversubscribed below): on unless
/// BREAKEVEN_SPIN_YIELD=0; a test of the spin budget itself turns it off.
inline std::atomic<bool>& spin_yields() noexcept {
  static std::atomic<bool> on{[] {
    const char* v = std::getenv("BREAKEVEN_SPIN_YIELD");
    return v == nullptr || std::strcmp(v, "0") != 0;
  }()};
  return on;
}

/// True when this thread has waited for its CPU behind another thread: between its last two
/// looks it did not block, yet ran for less than the time that passed by more than
/// `oversubscribed_wait_us` (a time slice lost to a thread that wanted the CPU, not the few
/// microseconds of one that ran briefly). A thread spinning for work then holds a CPU that
/// another one needs (often the caller it just answered, whose next sequential call would
/// wait a time slice behind it), so spinners stop spinning and sleep. Looked at most every
/// 50 us per thread (one system call); in between, the last answer.
///
/// This reads what the scheduler did to this thread, not how many threads the machine runs at
/// one instant: /proc/loadavg's runnable count, read before, saw a pool's own hand-over (a
/// caller spinning for its answer, the worker giving it, a thread just woken) as three
/// threads on a 2-CPU machine, sent the worker to sleep after every task, and made each warm
/// round trip a wake-up (`bench_process`'s `process_rt_us`, docs/benchmarks.md).
inline constexpr long long oversubscribed_wait_us = 200;
inline bool cpus_oversubscribed() noexcept {
  if (!spin_yields().load(std::memory_order_relaxed)) return false;
  thread_local long long next_check_ns = 0;
  thread_local long long last_ns = 0;
  thread_local thread_usage seen{};
  thread_local bool last = false;
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  const long long now = static_cast<long long>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
  if (now < next_check_ns) return last;
  next_check_ns = now + 50'000;
  const thread_usage u = this_thread_usage();
  const long long waited_us = (now - last_ns) / 1000 - (u.cpu_us - seen.cpu_us);
  last = seen.cpu_us >= 0 && u.voluntary_switches == seen.voluntary_switches && waited_us > oversubscribed_wait_us;
  seen = u;
  last_ns = now;
  return last;
}

/// Who may share a futex word: the threads of one process (cheaper), or several processes
/// mapping the same memory.
enum class futex_scope : bool { process_private, shared };

/// Sleeps while `*word == expected`, for at most `timeout_ns` (negative: no limit). Returns
/// early on a wake, a signal or a changed word; the caller re-checks its condition.
inline void futex_wait(const std::atomic<std::uint32_t>* word, std::uint32_t expected, long long timeout_ns = -1,
                       futex_scope scope = futex_scope::shared) noexcept {
  timespec ts{};
  timespec* tp = nullptr;
  if (timeout_ns >= 0) {
    ts.tv_sec = static_cast<time_t>(timeout_ns / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(timeout_ns % 1'000'000'000);
    tp = &ts;
  }
  const int op = scope == futex_scope::shared ? FUTEX_WAIT : FUTEX_WAIT_PRIVATE;
  ::syscall(SYS_futex, const_cast<std::atomic<std::uint32_t>*>(word), op, expected, tp, nullptr, 0);
}

/// Wakes up to `count` sleepers on `word` (every one by default).
inline void futex_wake(const std::atomic<std::uint32_t>* word, int count = INT_MAX,
                       futex_scope scope = futex_scope::shared) noexcept {
  const int op = scope == futex_scope::shared ? FUTEX_WAKE : FUTEX_WAKE_PRIVATE;
  ::syscall(SYS_futex, const_cast<std::atomic<std::uint32_t>*>(word), op, count, nullptr, nullptr, 0);
}

/// Throws std::system_error for `err` with the failed call named ("breakeven: " first).
[[noreturn]] inline void throw_errno(const char* what, int err = errno) {
  throw std::system_error(err, std::generic_category(), std::string("breakeven: ") + what);
}

}  // namespace breakeven::detail
