// breakeven/ipc/fork_server.hpp - a small single-threaded process that forks children on
// request, so that a program which already runs threads never forks itself.
//
// Two kinds run this loop. The shared fork server is forked once, early (at
// process_runtime::init, or at first use), keeps only its connection and the standard
// streams open, and serves every pool of the program over a connection each. A fork-method
// pool forks a private server (a "zygote") at its construction, which keeps the program's
// descriptors, so that its workers, replacements included, are images of the program as it
// was when the pool was made.
//
// The protocol is SOCK_SEQPACKET records: a 24-byte header, a payload, descriptors beside
// it. Requests: connect (a new client connection), fork (a start message). Replies: forked
// (pid, and a pidfd to signal it without pid reuse races), fork_failed (errno), exited (pid,
// wait status) once the server has reaped the child. The server reaps only the children it
// forked (waitpid on their pids, SIGCHLD taken through a signalfd); it ignores SIGINT so that
// Ctrl-C reaches the program's own handling, and its children get back the program's signal
// mask and dispositions. When a client connection closes, the server kills the children it
// still runs for it; when its first connection closes, it kills and reaps all and exits.
#pragma once

#include <breakeven/ipc/entry.hpp>
#include <breakeven/ipc/errors.hpp>
#include <breakeven/ipc/posix.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace breakeven::ipc {

/// The operations of the fork server protocol.
enum class server_op : std::uint32_t { connect = 1, fork = 2, forked = 10, fork_failed = 11, exited = 12 };

/// The header of every fork server record.
struct server_header {
  server_op op{};
  std::uint32_t reserved = 0;
  std::int64_t a = 0;  ///< pid, errno
  std::int64_t b = 0;  ///< wait status
};
static_assert(sizeof(server_header) == 24);

/// The largest record (a start message with its header): arguments of a process entry or
/// an initializer must fit in it.
inline constexpr std::size_t server_record_limit = std::size_t{1} << 20;

/// Sizes a record socket's buffers so one record of the limit fits.
inline void size_record_socket(int fd) noexcept {
  const int bytes = static_cast<int>(server_record_limit + 4096);
  (void)::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
  (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
}

/// Sends one record: header, payload, descriptors. Returns 0 or an errno.
inline int send_record(int sock, const server_header& h, std::span<const std::byte> payload = {},
                       std::span<const int> fds = {}) {
  std::vector<std::byte> rec(sizeof h + payload.size());
  std::memcpy(rec.data(), &h, sizeof h);
  if (!payload.empty()) std::memcpy(rec.data() + sizeof h, payload.data(), payload.size());
  return send_message(sock, rec, fds);
}

namespace detail {

struct served_child {
  pid_t pid;
  int owner;  // the connection that asked for it; -1 once that connection is gone
};

// The server process's state; lives on its stack.
class fork_server_loop {
 public:
  fork_server_loop(int first, bool shared) : first_(first), shared_(shared), buf_(server_record_limit + sizeof(server_header)) {}

  [[noreturn]] void run() noexcept {
    setup_signals();
    conns_.push_back(first_);
    for (;;) {
      std::vector<pollfd> p;
      p.push_back({sigfd_, POLLIN, 0});
      for (int c : conns_) p.push_back({c, POLLIN, 0});
      if (::poll(p.data(), p.size(), -1) < 0) continue;  // EINTR
      if (p[0].revents != 0) {
        signalfd_siginfo si;
        while (::read(sigfd_, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
        }
        reap();
      }
      for (std::size_t i = 1; i < p.size(); ++i)
        if (p[i].revents != 0) serve(p[i].fd);
      std::erase_if(conns_, [](int c) { return c < 0; });
    }
  }

 private:
  void setup_signals() noexcept {
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    ::sigprocmask(SIG_BLOCK, &chld, &old_mask_);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(SIGCHLD, &dfl, &old_chld_);  // SIG_IGN would reap for us and lose the statuses
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    ::sigaction(SIGINT, &ign, &old_int_);
    sigfd_ = ::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sigfd_ < 0) ::_exit(125);
  }

  void serve(int conn) noexcept {
    std::vector<unique_fd> fds;
    const ssize_t n = receive_message(conn, buf_, &fds, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n < static_cast<ssize_t>(sizeof(server_header))) {  // end of stream, error or junk
      drop(conn);
      return;
    }
    server_header h;
    std::memcpy(&h, buf_.data(), sizeof h);
    if (h.op == server_op::connect && shared_ && fds.size() == 1) {
      size_record_socket(fds[0].get());
      conns_.push_back(fds[0].release());
    } else if (h.op == server_op::fork) {
      fork_child(conn, std::span<const std::byte>(buf_.data() + sizeof h, static_cast<std::size_t>(n) - sizeof h), fds);
    } else {
      drop(conn);  // a client that speaks another protocol is not served
    }
  }

  void fork_child(int conn, std::span<const std::byte> message, const std::vector<unique_fd>& fds) noexcept {
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::sigaction(SIGCHLD, &old_chld_, nullptr);
      ::sigaction(SIGINT, &old_int_, nullptr);
      ::sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
      ::close(sigfd_);
      for (int c : conns_)
        if (c >= 0) ::close(c);
      std::vector<int> raw;
      for (const unique_fd& f : fds) raw.push_back(f.get());
      run_child(message, raw);
    }
    if (pid < 0) {
      (void)send_record(conn, {server_op::fork_failed, 0, errno, 0});
      return;
    }
    unique_fd pidfd = open_pidfd(pid);
    const int one[] = {pidfd.get()};
    (void)send_record(conn, {server_op::forked, 0, pid, 0}, {}, pidfd ? std::span<const int>(one) : std::span<const int>());
    children_.push_back({pid, conn});
  }

  void reap() noexcept {
    for (auto it = children_.begin(); it != children_.end();) {
      int status = 0;
      const pid_t r = ::waitpid(it->pid, &status, WNOHANG);
      if (r == it->pid || (r < 0 && errno == ECHILD)) {
        if (it->owner >= 0 && r == it->pid) (void)send_record(it->owner, {server_op::exited, 0, it->pid, status});
        it = children_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void drop(int conn) noexcept {
    for (served_child& c : children_) {
      if (c.owner != conn) continue;
      ::kill(c.pid, SIGKILL);
      c.owner = -1;
    }
    ::close(conn);
    std::replace(conns_.begin(), conns_.end(), conn, -1);
    if (conn == first_) {  // the program is gone or done with us
      for (const served_child& c : children_) {
        ::kill(c.pid, SIGKILL);
        int st;
        while (::waitpid(c.pid, &st, 0) < 0 && errno == EINTR) {
        }
      }
      ::_exit(0);
    }
  }

  int first_;
  bool shared_;
  int sigfd_ = -1;
  std::vector<int> conns_;
  std::vector<served_child> children_;
  std::vector<std::byte> buf_;
  sigset_t old_mask_{};
  struct sigaction old_chld_ {}, old_int_ {};
};

}  // namespace detail

/// Runs a fork server on connection `conn` in a freshly forked process; never returns.
/// A `shared` server keeps only its connection and the standard streams; a private one
/// (a fork-method pool's) keeps the program's descriptors and closes the library's others.
[[noreturn]] inline void run_fork_server(int conn, bool shared) noexcept {
  detail::own_threads.store(0, std::memory_order_relaxed);
  if (shared) {
    if (conn != 3) {
      if (::dup3(conn, 3, O_CLOEXEC) < 0) ::_exit(125);
      conn = 3;
    }
    ::close_range(4, ~0u, 0);
  } else {
    const int keep[] = {conn};
    detail::close_own_fds_except(keep);
  }
  detail::fork_server_loop(conn, shared).run();
}

/// A child a server (or spawn) started: its pid and a pidfd for signals and, for a
/// child of this process, reaping.
struct started_child {
  pid_t pid = -1;
  unique_fd pidfd;
};

/// A client connection to a fork server; for a private server, also its owner (which
/// reaps it on destruction).
class server_link {
 public:
  server_link() noexcept = default;
  server_link(unique_fd conn, pid_t private_server) noexcept : conn_(std::move(conn)), server_pid_(private_server) {}
  server_link(server_link&& o) noexcept
      : conn_(std::move(o.conn_)), server_pid_(std::exchange(o.server_pid_, -1)), queued_(std::move(o.queued_)) {}
  server_link& operator=(server_link&& o) noexcept {
    if (this != &o) {
      close();
      conn_ = std::move(o.conn_);
      server_pid_ = std::exchange(o.server_pid_, -1);
      queued_ = std::move(o.queued_);
    }
    return *this;
  }
  ~server_link() { close(); }

  explicit operator bool() const noexcept { return static_cast<bool>(conn_); }
  /// Readable when exit notices arrive.
  int fd() const noexcept { return conn_.get(); }
  /// The private server's pid (-1 for the shared one).
  pid_t server_pid() const noexcept { return server_pid_; }

  /// Asks the server to fork a child running `m`; blocks for its reply.
  started_child fork(const start_message& m) {
    if (m.bytes.size() > server_record_limit)
      throw std::length_error("breakeven: process start arguments of " + std::to_string(m.bytes.size()) +
                              " bytes exceed the fork server's limit of " + std::to_string(server_record_limit));
    if (const int e = send_record(conn_.get(), {server_op::fork}, m.bytes, m.fds); e != 0)
      throw_errno("sending a fork request to the fork server", e);
    for (;;) {
      std::vector<unique_fd> fds;
      server_header h;
      if (!receive(h, fds, true)) throw process_error("breakeven: the fork server closed its connection");
      if (h.op == server_op::forked) {
        started_child c;
        c.pid = static_cast<pid_t>(h.a);
        if (!fds.empty()) c.pidfd = std::move(fds[0]);
        return c;
      }
      if (h.op == server_op::fork_failed) throw_errno("fork (in the fork server)", static_cast<int>(h.a));
      if (h.op == server_op::exited) queued_.emplace_back(static_cast<pid_t>(h.a), exit_status::from_wait(static_cast<int>(h.b)));
    }
  }

  /// Collects the exit notices that have arrived, without blocking. False when the server
  /// connection is gone (its children were killed).
  bool take_exits(std::vector<std::pair<pid_t, exit_status>>& out) {
    out.insert(out.end(), queued_.begin(), queued_.end());
    queued_.clear();
    for (;;) {
      std::vector<unique_fd> fds;
      server_header h;
      errno = 0;
      if (!receive(h, fds, false)) return errno == EAGAIN || errno == EWOULDBLOCK;
      if (h.op == server_op::exited) out.emplace_back(static_cast<pid_t>(h.a), exit_status::from_wait(static_cast<int>(h.b)));
    }
  }

  /// Blocks until the exit notice of `pid` (other notices are kept for take_exits).
  exit_status wait_exit(pid_t pid) {
    for (auto it = queued_.begin(); it != queued_.end(); ++it) {
      if (it->first == pid) {
        const exit_status s = it->second;
        queued_.erase(it);
        return s;
      }
    }
    for (;;) {
      std::vector<unique_fd> fds;
      server_header h;
      if (!receive(h, fds, true)) return exit_status{};
      if (h.op != server_op::exited) continue;
      const auto s = exit_status::from_wait(static_cast<int>(h.b));
      if (static_cast<pid_t>(h.a) == pid) return s;
      queued_.emplace_back(static_cast<pid_t>(h.a), s);
    }
  }

  /// Closes the connection; a private server then exits and is reaped here.
  void close() noexcept {
    conn_.reset();
    if (server_pid_ > 0) {
      int st;
      while (::waitpid(server_pid_, &st, 0) < 0 && errno == EINTR) {
      }
      server_pid_ = -1;
    }
  }

 private:
  bool receive(server_header& h, std::vector<unique_fd>& fds, bool block) {
    alignas(server_header) std::byte buf[sizeof(server_header)];
    const ssize_t n = receive_message(conn_.get(), buf, &fds, block ? 0 : MSG_DONTWAIT);
    if (n != static_cast<ssize_t>(sizeof h)) return false;
    std::memcpy(&h, buf, sizeof h);
    return true;
  }

  unique_fd conn_;
  pid_t server_pid_ = -1;
  std::vector<std::pair<pid_t, exit_status>> queued_;
};

}  // namespace breakeven::ipc
