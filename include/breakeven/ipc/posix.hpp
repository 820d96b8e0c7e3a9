// breakeven/ipc/posix.hpp - the POSIX pieces the IPC layer shares: an owning descriptor,
// errno errors, descriptor passing over Unix sockets, the registry of the library's own
// descriptors (closed in forked children), exit statuses with signal names, thread count.
#pragma once

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

/// Throws std::system_error for `err` with the failed call named.
[[noreturn]] inline void throw_errno(const char* what, int err = errno) {
  throw std::system_error(err, std::generic_category(), std::string("breakeven: ") + what);
}

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
inline void close_own_fds_except(std::span<const int> keep) noexcept {
  for (std::size_t w = 0; w < own_fd_bits.size(); ++w) {
    std::uint64_t bits = own_fd_bits[w].load(std::memory_order_relaxed);
    while (bits != 0) {
      const int b = __builtin_ctzll(bits);
      bits &= bits - 1;
      const int fd = static_cast<int>(w * 64) + b;
      bool kept = false;
      for (int k : keep) kept = kept || k == fd;
      if (!kept) {
        ::close(fd);
        untrack_fd(fd);
      }
    }
  }
}

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
inline std::pair<unique_fd, unique_fd> socket_pair(int type) {
  int sv[2];
  if (::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) != 0) throw_errno("socketpair");
  return {unique_fd(sv[0]), unique_fd(sv[1])};
}

/// The most descriptors one message carries.
inline constexpr std::size_t max_fds_per_message = 64;

/// Sends one message with descriptors attached (SCM_RIGHTS). Never raises SIGPIPE.
/// Returns 0, or the errno of the failure (EPIPE, EMSGSIZE, ...).
inline int send_message(int sock, std::span<const std::byte> data, std::span<const int> fds = {}) noexcept {
  if (fds.size() > max_fds_per_message) return EINVAL;
  iovec iov{const_cast<std::byte*>(data.data()), data.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * max_fds_per_message)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (!fds.empty()) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  for (;;) {
    const ssize_t n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
    if (n >= 0) return static_cast<std::size_t>(n) == data.size() ? 0 : EMSGSIZE;
    if (errno != EINTR) return errno;
  }
}

/// Receives one message (a SOCK_SEQPACKET record) with any descriptors attached, which
/// arrive close-on-exec. Returns the bytes received, 0 at end of stream, -1 with errno set.
/// A record larger than `buf` is an error (EMSGSIZE), never silently truncated.
inline ssize_t receive_message(int sock, std::span<std::byte> buf, std::vector<unique_fd>* fds, int flags = 0) noexcept {
  iovec iov{buf.data(), buf.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * max_fds_per_message)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | flags);
  while (n < 0 && errno == EINTR);
  if (n < 0) return -1;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      if (fds != nullptr) fds->emplace_back(fd);
      else ::close(fd);
    }
  }
  if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
    errno = EMSGSIZE;
    return -1;
  }
  return n;
}

/// Waits until `fd` is readable (or hung up) for at most `timeout_ms` (-1: forever).
inline bool wait_readable(int fd, int timeout_ms) noexcept {
  pollfd p{fd, POLLIN, 0};
  int r;
  do r = ::poll(&p, 1, timeout_ms);
  while (r < 0 && errno == EINTR);
  return r > 0;
}

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
inline std::string signal_name(int sig) {
  if (const char* abbrev = ::sigabbrev_np(sig)) return std::string("SIG") + abbrev;
  return "signal " + std::to_string(sig);
}

inline std::string exit_status::describe() const {
  switch (kind) {
    case how::exited: return "exited with status " + std::to_string(code);
    case how::signaled: {
      std::string s = "killed by signal " + std::to_string(code) + " (" + signal_name(code);
      if (const char* d = ::sigdescr_np(code)) (s += ": ") += d;
      s += ")";
      if (core_dumped) s += ", core dumped";
      return s;
    }
    case how::unknown: break;
  }
  return "ended with an unknown status (reaped elsewhere)";
}

/// Waits for the child behind `pidfd` to end and reaps it; with `block` false, returns
/// false at once when it is still running. An already reaped child gives an unknown status.
inline bool reap_pidfd(int pidfd, exit_status& out, bool block) noexcept {
  siginfo_t si{};
  for (;;) {
    const int r = ::waitid(P_PIDFD, static_cast<id_t>(pidfd), &si, WEXITED | (block ? 0 : WNOHANG));
    if (r == 0) {
      if (si.si_pid == 0) return false;  // still running
      out = exit_status::from_siginfo(si);
      return true;
    }
    if (errno == EINTR) continue;
    out = exit_status{};  // ECHILD: another handler reaped it
    return true;
  }
}

/// A pidfd for process `pid` (Linux 5.3), close-on-exec; invalid when the call fails.
inline unique_fd open_pidfd(pid_t pid) noexcept {
  return unique_fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
}

/// Sends `sig` to the process behind `pidfd`; safe from pid reuse.
inline int signal_pidfd(int pidfd, int sig) noexcept {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

/// Threads in this process, from /proc/self/status (0 when it cannot be read).
inline unsigned thread_count() noexcept {
  const int fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[4096];
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  const char* p = std::strstr(buf, "\nThreads:");
  if (p == nullptr) return 0;
  p += 9;
  while (*p == ' ' || *p == '\t') ++p;
  unsigned v = 0;
  while (*p >= '0' && *p <= '9') v = v * 10 + static_cast<unsigned>(*p++ - '0');
  return v;
}

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
