// breakeven/detail/sys.hpp - the low-level primitives every executor shares: a pause for
// spin loops, a bounded spin step that yields, futex sleep and wake, errno errors.
//
// Mechanism only (the thread pool, the IPC layer, shared memory, the calibration tool):
// the policy layer never includes OS headers.
#pragma once

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <system_error>

#include <sched.h>

#include <linux/futex.h>
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

/// Every (mask + 1)-th spin step yields the CPU (BREAKEVEN_SPIN_YIELD_MASK overrides).
inline unsigned spin_yield_mask() noexcept {
  static const unsigned mask = [] {
    const char* v = std::getenv("BREAKEVEN_SPIN_YIELD_MASK");
    return v != nullptr ? static_cast<unsigned>(std::strtoul(v, nullptr, 10)) : 7u;
  }();
  return mask;
}

/// One step of a bounded spin: mostly a pause, and every few steps a sched_yield, so that
/// a thread woken on this CPU (say, the caller a result was just handed to) runs at once
/// instead of waiting for the spinner's time slice to end. On a machine with few cores
/// that is the difference between a 2 us and a 60 us round trip.
inline void spin_step(unsigned& n) noexcept {
  if ((++n & spin_yield_mask()) == 0) ::sched_yield();
  else cpu_relax();
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
