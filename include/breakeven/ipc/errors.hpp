// breakeven/ipc/errors.hpp - the errors a process executor reports: what went wrong in
// another process, said in this one.
#pragma once

#include <breakeven/ipc/posix.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <sys/types.h>

namespace breakeven {

/// Base of every error the process executors raise themselves.
class process_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A worker threw an exception whose type this process cannot rebuild (neither a standard
/// exception type nor one registered with BREAKEVEN_REGISTER_EXCEPTION).
class remote_error : public process_error {
 public:
  remote_error(std::string type_name, std::string message)
      : process_error(type_name + ": " + message), type_(std::move(type_name)), message_(std::move(message)) {}
  /// The exception's type as the worker's compiler names it ("my::parse_error").
  const std::string& type_name() const noexcept { return type_; }
  /// The exception's what().
  const std::string& message() const noexcept { return message_; }

 private:
  std::string type_, message_;
};

/// The worker running the task died (a signal, exit() or abort()); only its task fails.
class worker_lost : public process_error {
 public:
  worker_lost(pid_t pid, ipc::exit_status status)
      : process_error("breakeven: worker process " + std::to_string(pid) + " " + status.describe() +
                      " while running the task"),
        pid_(pid), status_(status) {}
  pid_t pid() const noexcept { return pid_; }
  /// How the worker ended: exited(code) or signaled(signal number).
  const ipc::exit_status& status() const noexcept { return status_; }

 private:
  pid_t pid_;
  ipc::exit_status status_;
};

/// The task ran past its timeout; its worker was killed (SIGKILL) and replaced.
class task_timeout : public process_error {
 public:
  task_timeout(pid_t pid, std::chrono::milliseconds limit)
      : process_error("breakeven: task timed out after " + std::to_string(limit.count()) + " ms; worker process " +
                      std::to_string(pid) + " was killed"),
        pid_(pid), limit_(limit) {}
  pid_t pid() const noexcept { return pid_; }
  std::chrono::milliseconds limit() const noexcept { return limit_; }

 private:
  pid_t pid_;
  std::chrono::milliseconds limit_;
};

/// Bytes from another process failed validation: a bad frame or a payload that does not
/// decode. The connection is not trusted afterwards.
class protocol_error : public process_error {
 public:
  using process_error::process_error;
};

/// A value's bytes do not decode as its type (truncated, oversized length, bad tag).
class decode_error : public protocol_error {
 public:
  using protocol_error::protocol_error;
};

/// The pool no longer takes work (closed, terminated) or cannot run it (broken).
class pool_closed : public process_error {
 public:
  using process_error::process_error;
};

}  // namespace breakeven
