// breakeven/ipc/posix.hpp - the POSIX pieces the IPC layer shares: an owning descriptor,
// errno errors, descriptor passing over Unix sockets, the registry of the library's own
// descriptors (closed in forked children), exit statuses with signal names, thread count.
#pragma once

#include <breakeven/detail/decl.hpp>
#include <breakeven/detail/sys.hpp>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace breakeven::ipc {

/// Throws std::system_error for `err` with the failed call named (detail/sys.hpp).
using breakeven::detail::throw_errno;

namespace detail {

// The library's own descriptors, one bit per descriptor number. A child forked from a
// program image closes these (other pools' sockets, the fork server's connection) and
// keeps the user's. Lock-free, because a fork can happen while another thread updates it.
inline constexpr int tracked_fd_limit = 1 << 16;
inline std::array<std::atomic<std::uint64_t>, tracked_fd_limit / 64> own_fd_bits{};

inline void track_fd(int fd) noexcept {
  if (fd >= 0 && fd < tracked_fd_limit)
    own_fd_bits[static_cast<std::size_t>(fd) / 64].fetch_or(std::uint64_t{1} << (fd % 64), std::memory_order_relaxed);
}
inline void untrack_fd(int fd) noexcept {
  if (fd >= 0 && fd < tracked_fd_limit)
    own_fd_bits[static_cast<std::size_t>(fd) / 64].fetch_and(~(std::uint64_t{1} << (fd % 64)), std::memory_order_relaxed);
}

/// In a freshly forked child: closes every descriptor the library owns except `keep`.
/// Async-signal-safe (no allocation, no locks).
BREAKEVEN_DECL void close_own_fds_except(std::span<const int> keep) noexcept;

}  // namespace detail

/// An owning file descriptor; the library's descriptors are all close-on-exec and tracked.
class unique_fd {
 public:
  unique_fd() noexcept = default;
  explicit unique_fd(int fd) noexcept : fd_(fd) { detail::track_fd(fd_); }
  unique_fd(unique_fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  unique_fd& operator=(unique_fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd() { reset(); }

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  /// Gives up ownership (and tracking) of the descriptor.
  int release() noexcept {
    detail::untrack_fd(fd_);
    return std::exchange(fd_, -1);
  }
  void reset() noexcept {
    if (fd_ >= 0) {
      detail::untrack_fd(fd_);
      ::close(fd_);
      fd_ = -1;
    }
  }

 private:
  int fd_ = -1;
};

/// Wraps the result of a call that returns a descriptor, throwing on failure.
inline unique_fd checked_fd(int fd, const char* what) {
  if (fd < 0) throw_errno(what);
  return unique_fd(fd);
}

/// A connected pair of close-on-exec Unix sockets of `type` (SOCK_STREAM, SOCK_SEQPACKET).
BREAKEVEN_DECL std::pair<unique_fd, unique_fd> socket_pair(int type);

/// The most descriptors one message carries.
inline constexpr std::size_t max_fds_per_message = 64;

/// Sends one message with descriptors attached (SCM_RIGHTS). Never raises SIGPIPE.
/// Returns 0, or the errno of the failure (EPIPE, EMSGSIZE, ...).
BREAKEVEN_DECL int send_message(int sock, std::span<const std::byte> data, std::span<const int> fds = {}) noexcept;

/// Receives one message (a SOCK_SEQPACKET record) with any descriptors attached, which
/// arrive close-on-exec. Returns the bytes received, 0 at end of stream, -1 with errno set.
/// A record larger than `buf` is an error (EMSGSIZE), never silently truncated.
BREAKEVEN_DECL ssize_t receive_message(int sock, std::span<std::byte> buf, std::vector<unique_fd>* fds, int flags = 0) noexcept;

/// Waits until `fd` is readable (or hung up) for at most `timeout_ms` (-1: forever).
BREAKEVEN_DECL bool wait_readable(int fd, int timeout_ms) noexcept;

/// How a process ended, as waitpid/waitid report it.
struct exit_status {
  enum class how : std::uint8_t { exited, signaled, unknown };
  how kind = how::unknown;
  int code = 0;  ///< the exit status, or the signal number
  bool core_dumped = false;

  /// From a waitpid() status word.
  static exit_status from_wait(int status) noexcept {
    if (WIFEXITED(status)) return {how::exited, WEXITSTATUS(status), false};
    if (WIFSIGNALED(status)) return {how::signaled, WTERMSIG(status), static_cast<bool>(WCOREDUMP(status))};
    return {};
  }
  /// From a waitid() result.
  static exit_status from_siginfo(const siginfo_t& si) noexcept {
    if (si.si_code == CLD_EXITED) return {how::exited, si.si_status, false};
    if (si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED) return {how::signaled, si.si_status, si.si_code == CLD_DUMPED};
    return {};
  }
  bool exited() const noexcept { return kind == how::exited; }
  bool signaled() const noexcept { return kind == how::signaled; }
  /// True for a clean exit(0).
  bool success() const noexcept { return kind == how::exited && code == 0; }
  /// "exited with status 3", "killed by signal 11 (SIGSEGV: Segmentation fault)".
  std::string describe() const;
  friend bool operator==(const exit_status&, const exit_status&) = default;
};

/// "SIGSEGV" for 11; "signal 99" for what the C library does not name.
BREAKEVEN_DECL std::string signal_name(int sig);

/// Waits for the child behind `pidfd` to end and reaps it; with `block` false, returns
/// false at once when it is still running. An already reaped child gives an unknown status.
BREAKEVEN_DECL bool reap_pidfd(int pidfd, exit_status& out, bool block) noexcept;

/// A pidfd for process `pid` (Linux 5.3), close-on-exec; invalid when the call fails.
inline unique_fd open_pidfd(pid_t pid) noexcept {
  return unique_fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
}

/// Sends `sig` to the process behind `pidfd`; safe from pid reuse.
inline int signal_pidfd(int pidfd, int sig) noexcept {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

/// Threads in this process, from /proc/self/status (0 when it cannot be read).
BREAKEVEN_DECL unsigned thread_count() noexcept;

namespace detail {
/// Threads the library runs itself (pool reactors): they hold no user locks, so they do
/// not make a fork unsafe.
inline std::atomic<unsigned> own_threads{0};

#if defined(__SANITIZE_THREAD__)
inline constexpr unsigned sanitizer_threads = 1;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
inline constexpr unsigned sanitizer_threads = 1;  // ThreadSanitizer's background thread
#else
inline constexpr unsigned sanitizer_threads = 0;
#endif
#else
inline constexpr unsigned sanitizer_threads = 0;
#endif
}  // namespace detail

/// Threads of this process that neither the library nor a sanitizer runtime started.
inline unsigned foreign_thread_count() noexcept {
  const unsigned all = thread_count();
  const unsigned own = detail::own_threads.load(std::memory_order_relaxed) + detail::sanitizer_threads;
  return all > own ? all - own : 1;
}

}  // namespace breakeven::ipc

#if !defined(BREAKEVEN_SEPARATE_COMPILATION)
#include <breakeven/ipc/impl/posix.ipp>
#endif
