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
// A shared server started without process_runtime::init is a fresh image of the program
// instead (see runtime.hpp): it announces itself with `ready` (or `refused` and why) first.
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

#include <breakeven/detail/decl.hpp>
#include <breakeven/ipc/entry.hpp>
#include <breakeven/ipc/errors.hpp>
#include <breakeven/ipc/parent_death.hpp>
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
enum class server_op : std::uint32_t {
  connect = 1,
  fork = 2,
  forked = 10,
  fork_failed = 11,
  exited = 12,
  ready = 13,    ///< a server started as a fresh image of the program is serving
  refused = 14,  ///< ... or cannot serve (the payload says why)
};

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
BREAKEVEN_DECL int send_record(int sock, const server_header& h, std::span<const std::byte> payload = {},
                               std::span<const int> fds = {});

/// Runs a fork server on connection `conn` in a freshly forked process; never returns.
/// A `shared` server keeps only its connection and the standard streams; a private one
/// (a fork-method pool's) keeps the program's descriptors and closes the library's others.
[[noreturn]] BREAKEVEN_DECL void run_fork_server(int conn, bool shared) noexcept;

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
  started_child fork(const start_message& m);

  /// Collects the exit notices that have arrived, without blocking. False when the server
  /// connection is gone (its children were killed).
  bool take_exits(std::vector<std::pair<pid_t, exit_status>>& out);

  /// Blocks until the exit notice of `pid` (other notices are kept for take_exits).
  exit_status wait_exit(pid_t pid);

  /// Closes the connection; a private server then exits and is reaped here.
  void close() noexcept;

 private:
  bool receive(server_header& h, std::vector<unique_fd>& fds, bool block);

  unique_fd conn_;
  pid_t server_pid_ = -1;
  std::vector<std::pair<pid_t, exit_status>> queued_;
};

}  // namespace breakeven::ipc

#if !defined(BREAKEVEN_SEPARATE_COMPILATION)
#include <breakeven/ipc/impl/fork_server.ipp>
#endif
