// breakeven/ipc/parent_death.hpp - a child of the library ends when its parent process ends,
// whatever it is running (a task that never returns included).
//
// Right after fork (or, for a spawned child, as soon as the new program reaches
// process_runtime::init) the child asks the kernel for a signal at its parent's death
// (PR_SET_PDEATHSIG), then compares getppid() with the parent's pid taken before the fork:
// a parent that died in between has already re-parented the child, and no signal would come.
//
// The kernel sends that signal when the *thread* that forked ends, not only the process; a
// pool made on a thread that ends while the pool lives must keep its workers. So the signal
// is not SIGKILL but parent_death_signal(), whose handler ends the child (SIGKILL to itself)
// only when its parent has really changed; a thread's end leaves getppid() as it was.
//
// The socket end check stays beside it: a worker that waits for work also sees the pool's
// end of its socket close (the parent's death, or a pool destroyed without a shutdown).
#pragma once

#include <csignal>

#include <sys/prctl.h>
#include <sys/types.h>
#include <unistd.h>

namespace breakeven::ipc {

/// The signal the kernel sends a child of the library when its parent ends (the highest
/// real-time signal: the C library and the sanitizers use none of them at that end).
inline int parent_death_signal() noexcept { return SIGRTMAX; }

namespace detail {

// The parent this process watches for; 0 when none (a process the library did not start).
inline volatile pid_t& watched_parent() noexcept {
  static volatile pid_t pid = 0;
  return pid;
}

inline void on_parent_death(int) noexcept {
  const pid_t parent = watched_parent();
  if (parent != 0 && ::getppid() != parent) ::kill(::getpid(), SIGKILL);
}

}  // namespace detail

/// In a new child of process `parent` (its pid taken before the fork): arranges for this
/// process to end when `parent` ends, and ends it now if `parent` has ended already.
/// Async-signal-safe (callable between fork and exec, or in a forked child of a threaded
/// program); does nothing when `parent` is not positive.
inline void die_with_parent(pid_t parent) noexcept {
  if (parent <= 0) return;
  detail::watched_parent() = parent;
  struct sigaction sa {};
  sa.sa_handler = &detail::on_parent_death;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  ::sigaction(parent_death_signal(), &sa, nullptr);
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, parent_death_signal());
  ::sigprocmask(SIG_UNBLOCK, &one, nullptr);
  ::prctl(PR_SET_PDEATHSIG, parent_death_signal());
  if (::getppid() != parent) ::kill(::getpid(), SIGKILL);  // re-parented before the prctl
}

}  // namespace breakeven::ipc
