// breakeven/ipc/impl/fork_server.ipp - the fork server's loop, the definitions of fork_server.hpp.
// Included by its header, inline; with BREAKEVEN_SEPARATE_COMPILATION, compiled once
// through <breakeven/impl/src.hpp>.
#pragma once

#include <breakeven/ipc/fork_server.hpp>

namespace breakeven::ipc::detail {

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
    const pid_t server = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::sigaction(SIGCHLD, &old_chld_, nullptr);
      ::sigaction(SIGINT, &old_int_, nullptr);
      ::sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
      die_with_parent(server);
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

}  // namespace breakeven::ipc::detail

namespace breakeven::ipc {

BREAKEVEN_DECL int send_record(int sock, const server_header& h, std::span<const std::byte> payload,
                               std::span<const int> fds) {
  std::vector<std::byte> rec(sizeof h + payload.size());
  std::memcpy(rec.data(), &h, sizeof h);
  if (!payload.empty()) std::memcpy(rec.data() + sizeof h, payload.data(), payload.size());
  return send_message(sock, rec, fds);
}

[[noreturn]] BREAKEVEN_DECL void run_fork_server(int conn, bool shared) noexcept {
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

}  // namespace breakeven::ipc

namespace breakeven::ipc {

BREAKEVEN_DECL started_child server_link::fork(const start_message& m) {
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

BREAKEVEN_DECL bool server_link::take_exits(std::vector<std::pair<pid_t, exit_status>>& out) {
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

BREAKEVEN_DECL exit_status server_link::wait_exit(pid_t pid) {
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

BREAKEVEN_DECL void server_link::close() noexcept {
  conn_.reset();
  if (server_pid_ > 0) {
    int st;
    while (::waitpid(server_pid_, &st, 0) < 0 && errno == EINTR) {
    }
    server_pid_ = -1;
  }
}

BREAKEVEN_DECL bool server_link::receive(server_header& h, std::vector<unique_fd>& fds, bool block) {
  alignas(server_header) std::byte buf[sizeof(server_header)];
  const ssize_t n = receive_message(conn_.get(), buf, &fds, block ? 0 : MSG_DONTWAIT);
  if (n != static_cast<ssize_t>(sizeof h)) return false;
  std::memcpy(&h, buf, sizeof h);
  return true;
}

}  // namespace breakeven::ipc
