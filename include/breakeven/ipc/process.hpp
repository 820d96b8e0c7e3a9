// breakeven/ipc/process.hpp - one child process running a function (Python's Process):
// started with a start method, joined for its exit status, never left a zombie.
//
//   void produce(breakeven::ipc::queue<int> q, int n) { for (int i = 0; i < n; ++i) q.put(i); }
//   ...
//   breakeven::ipc::queue<int> q;
//   auto p = breakeven::ipc::process::start<&produce>(q, 10);
//   for (int i = 0; i < 10; ++i) use(q.get());
//   p.join();   // exit_status: exited(0)
//
// The function is named by a template argument (so that a spawned child finds it by name);
// its parameters are transportable values, channels and queues (whose descriptors go along).
// It returns void (exit status 0) or an int (the exit status); an exception leaving it is
// printed to stderr and gives status 1. Destroying a process that was not joined kills it
// (SIGKILL) and reaps it.
#pragma once

#include <breakeven/detail/decl.hpp>
#include <breakeven/ipc/entry.hpp>
#include <breakeven/ipc/fork_server.hpp>
#include <breakeven/ipc/posix.hpp>
#include <breakeven/ipc/runtime.hpp>

#include <chrono>
#include <optional>
#include <utility>

#include <signal.h>

namespace breakeven::ipc {

/// A handle to one child process.
class process {
 public:
  process() = default;
  process(process&& o) noexcept
      : method_(o.method_), pid_(std::exchange(o.pid_, -1)), pidfd_(std::move(o.pidfd_)), link_(std::move(o.link_)),
        status_(std::move(o.status_)) {}
  process& operator=(process&& o) noexcept {
    if (this != &o) {
      abandon();
      method_ = o.method_;
      pid_ = std::exchange(o.pid_, -1);
      pidfd_ = std::move(o.pidfd_);
      link_ = std::move(o.link_);
      status_ = std::move(o.status_);
    }
    return *this;
  }
  process(const process&) = delete;
  process& operator=(const process&) = delete;
  ~process() { abandon(); }

  /// Starts a child running `Fn(args...)` by start method `m`.
  template <auto Fn, class... Args>
  static process start(start_method m, const Args&... args) {
    static_assert(entry_function<Fn>, "breakeven: process::start<Fn> needs a function pointer with transportable parameters");
    const start_message msg = start_message::make<Fn>(args...);
    process p;
    p.method_ = m;
    started_child c;
    if (m == start_method::fork_server) {
      p.link_ = server_link(connect_fork_server(), -1);
      c = p.link_.fork(msg);
    } else if (m == start_method::fork) {
      c = fork_child(msg);
    } else {
      c = spawn_child(msg);
    }
    p.pid_ = c.pid;
    p.pidfd_ = std::move(c.pidfd);
    return p;
  }
  /// Starts a child running `Fn(args...)` through the shared fork server.
  template <auto Fn, class... Args>
  static process start(const Args&... args) {
    return start<Fn>(start_method::fork_server, args...);
  }

  pid_t pid() const noexcept { return pid_; }
  start_method method() const noexcept { return method_; }

  /// Waits for the child to end; returns how it ended. Idempotent.
  exit_status join() {
    if (!status_) status_ = wait(-1);
    return *status_;
  }
  /// Waits at most `limit`; nullopt when the child still runs.
  std::optional<exit_status> join_for(std::chrono::milliseconds limit);
  /// True until the child has ended (and been reaped).
  bool running() { return !join_for(std::chrono::milliseconds(0)).has_value(); }
  /// Sends `sig` to the child (no effect once it was joined).
  void kill(int sig = SIGTERM) noexcept {
    if (status_ || pid_ <= 0) return;
    if (pidfd_) signal_pidfd(pidfd_.get(), sig);
    else ::kill(pid_, sig);
  }

 private:
  // Reaps (or, through the fork server, hears of) the child's end.
  exit_status wait(int timeout_ms);

  void abandon() noexcept;

  start_method method_ = start_method::fork_server;
  pid_t pid_ = -1;
  unique_fd pidfd_;
  server_link link_;
  std::optional<exit_status> status_;
};

}  // namespace breakeven::ipc

#if !defined(BREAKEVEN_SEPARATE_COMPILATION)
#include <breakeven/ipc/impl/process.ipp>
#endif
