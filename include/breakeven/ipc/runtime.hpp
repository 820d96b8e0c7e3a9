// breakeven/ipc/runtime.hpp - how child processes start: the start methods, the shared
// fork server, spawning (re-executing the program), and process_runtime::init.
//
// Call `breakeven::process_runtime::init(argc, argv)` first thing in main():
//   - in a child spawned by the `spawn` start method, it runs the child's entry and never
//     returns (spawn re-executes the program, which must reach init before doing anything);
//   - otherwise it starts the shared fork server while the program has one thread, so that
//     pools made later, from any thread, fork from that clean image instead of the program.
// Without init, the fork server starts at first use; if the program already runs threads
// then, the server is forked from a multi-threaded image: locks other threads held at that
// moment stay held in it (the C library's own are reset), and `spawn` is refused.
#pragma once

#include <breakeven/detail/decl.hpp>
#include <breakeven/ipc/entry.hpp>
#include <breakeven/ipc/fork_server.hpp>
#include <breakeven/ipc/parent_death.hpp>
#include <breakeven/ipc/posix.hpp>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace breakeven {

/// How a pool's or a process's children come to exist.
enum class start_method : std::uint8_t {
  fork,         ///< an image of the program as it is now (refused when it runs other threads)
  fork_server,  ///< an image of the program at process_runtime::init (safe with threads; default)
  spawn,        ///< the program executed afresh (/proc/self/exe); kernels found by name
};

constexpr std::string_view to_string(start_method m) noexcept {
  switch (m) {
    case start_method::fork: return "fork";
    case start_method::fork_server: return "fork_server";
    case start_method::spawn: return "spawn";
  }
  return "?";
}

namespace ipc {
namespace detail {

inline constexpr const char* spawn_variable = "BREAKEVEN_SPAWN_CHILD";

struct runtime_state {
  std::mutex mu;
  unique_fd conn;       // to the shared fork server
  pid_t server = -1;
  bool init_called = false;
  bool atexit_registered = false;
};

BREAKEVEN_DECL runtime_state& runtime();

BREAKEVEN_DECL void stop_server_locked(runtime_state& s) noexcept;

BREAKEVEN_DECL void stop_server_at_exit() noexcept;

BREAKEVEN_DECL void start_server_locked(runtime_state& s);

/// Refuses to run library code in a spawned child that did not stop at init: it would run
/// the program's main again, and possibly start children of its own without end.
BREAKEVEN_DECL void check_not_unclaimed_spawn_child();

/// Throws when the program runs threads the library did not start: forking it now would
/// copy their locks but not the threads that would release them.
BREAKEVEN_DECL void require_single_threaded(const char* for_what);

/// The program's command line, to give a spawned child the same argv.
BREAKEVEN_DECL std::vector<std::string> own_command_line();

}  // namespace detail

/// A new connection to the shared fork server (started now if it is not running).
BREAKEVEN_DECL unique_fd connect_fork_server();

/// Starts a private fork server (for a fork-method pool) from this process as it is now.
BREAKEVEN_DECL server_link start_private_server();

/// Forks a child of this process running `m` (the fork start method of a single process).
BREAKEVEN_DECL started_child fork_child(const start_message& m);

/// Executes the program afresh as a child running `m`; the child finds its entry by name
/// once its main() reaches process_runtime::init.
BREAKEVEN_DECL started_child spawn_child(const start_message& m);

namespace detail {
// In a spawned child: receives the start message on descriptor `fd` and runs it.
[[noreturn]] BREAKEVEN_DECL void run_spawned_child(const char* fd_text) noexcept;
}  // namespace detail
}  // namespace ipc

/// The process-wide start-up of the process executors.
namespace process_runtime {

/// Call first thing in main(). In a spawned child, runs the child and never returns;
/// otherwise starts the shared fork server (unless the environment says
/// BREAKEVEN_FORK_SERVER=0) while the program is still single-threaded.
BREAKEVEN_DECL void init(int argc = 0, char** argv = nullptr);

/// True once init() ran in this process.
BREAKEVEN_DECL bool initialized();

/// The shared fork server's pid, or -1 when it is not running.
BREAKEVEN_DECL pid_t fork_server_pid();

/// Stops the shared fork server and reaps it (done at exit too). Pools made afterwards
/// start a new one, from the program as it is then.
BREAKEVEN_DECL void shutdown();

}  // namespace process_runtime
}  // namespace breakeven

#if !defined(BREAKEVEN_SEPARATE_COMPILATION)
#include <breakeven/ipc/impl/runtime.ipp>
#endif
