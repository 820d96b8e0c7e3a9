// breakeven/ipc/impl/process.ipp - the definitions of process.hpp.
// Included by its header, inline; with BREAKEVEN_SEPARATE_COMPILATION, compiled once
// through <breakeven/impl/src.hpp>.
#pragma once

#include <breakeven/ipc/process.hpp>

namespace breakeven::ipc {

BREAKEVEN_DECL std::optional<exit_status> process::join_for(std::chrono::milliseconds limit) {
  if (!status_) {
    const int fd = link_ ? link_.fd() : pidfd_.get();
    if (!wait_readable(fd, static_cast<int>(limit.count()))) return std::nullopt;
    status_ = wait(0);
  }
  return status_;
}

BREAKEVEN_DECL exit_status process::wait(int timeout_ms) {
  if (link_) {
    if (timeout_ms >= 0) {
      std::vector<std::pair<pid_t, exit_status>> exits;
      link_.take_exits(exits);
      for (auto& [p, s] : exits)
        if (p == pid_) return s;
    }
    return link_.wait_exit(pid_);
  }
  exit_status s;
  reap_pidfd(pidfd_.get(), s, true);
  return s;
}

BREAKEVEN_DECL void process::abandon() noexcept {
  if (pid_ <= 0 || status_) return;
  kill(SIGKILL);
  try {
    status_ = wait(-1);
  } catch (...) {
  }
}

}  // namespace breakeven::ipc
