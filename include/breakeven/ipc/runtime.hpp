// breakeven/ipc/runtime.hpp - how child processes start: the start methods, the shared
// fork server, spawning (re-executing the program), and process_runtime::init.
//
// The shared fork server must be an image of the program in which no other thread holds a
// lock. Two ways give one:
//   - without init, the first pool that needs the server executes the program afresh
//     (/proc/self/exe, a marker in its environment). The library's start-up hook, which runs
//     before main in every program that includes this header, sees the marker, runs the
//     program's static initialization to its end (the kernels' registrations included) and
//     becomes the server instead of calling main: workers are images of the program as
//     main would first see it, and find kernels by their registered names. (Python's
//     forkserver likewise starts from a fresh interpreter.)
//   - `breakeven::process_runtime::init(argc, argv)`, first thing in main(), forks the server
//     from the program while it has one thread: no new image to load, so the first pool
//     starts sooner. Optional.
// Where neither can work (the hook is not in the main program, e.g. the process executors
// are only used from a shared library, and the program runs threads), a pool is refused
// with an error that names init. A child of the `spawn` start method is taken over by the
// same hook (or, where the hook cannot, by init).
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
/// The marker of a fresh image that is to become the shared fork server (its value: the
/// descriptor of its connection).
inline constexpr const char* server_variable = "BREAKEVEN_FORK_SERVER_IMAGE";

/// A function of the program's initialization array.
using init_array_fn = void (*)(int, char**, char**);

/// What the start-up hook found.
struct startup_state {
  bool hook_in_program = false;  ///< the hook ran from the main program's initialization array
  bool taking_over = false;      ///< this process is a fresh image running the rest of its initialization
};

BREAKEVEN_DECL startup_state& startup();

/// The start-up hook's work (`self`: the hook of the calling translation unit). In a fresh
/// image (a server or spawn marker in the environment), runs the initialization functions
/// after `self`, then serves as the fork server or runs the spawned child; never returns
/// there. Otherwise notes whether the hook can take over a fresh image of this program.
BREAKEVEN_DECL void on_startup(int argc, char** argv, char** envp, init_array_fn self) noexcept;

/// Starts `/proc/self/exe` with the program's arguments, descriptor `fd` as 3 and
/// `variable=3` in its environment; returns its pid.
BREAKEVEN_DECL pid_t spawn_self(int fd, const char* variable);

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

/// Starts the shared fork server: forked from this process when `from_init` (or when the
/// start-up hook cannot take over a fresh image and the program runs one thread), otherwise
/// a fresh image of the program; refused when neither is safe.
BREAKEVEN_DECL void start_server_locked(runtime_state& s, bool from_init);

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

/// Optional, first thing in main(): starts the shared fork server by forking the program
/// while it is still single-threaded (unless the environment says BREAKEVEN_FORK_SERVER=0),
/// which is quicker than the fresh image a pool starts without it. In a spawned child the
/// start-up hook could not take over, runs the child and never returns.
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

namespace breakeven::ipc::detail {
namespace {
// The start-up hook, one per translation unit (the first to run acts). Priority 101 runs it
// before the program's own static initialization, which it then completes itself in a fresh
// image; glibc passes initialization functions the program's argc, argv and environment.
[[gnu::constructor(101), gnu::used]] void startup_hook(int argc, char** argv, char** envp) noexcept {
  on_startup(argc, argv, envp, &startup_hook);
}
}  // namespace
}  // namespace breakeven::ipc::detail

#if !defined(BREAKEVEN_SEPARATE_COMPILATION)
#include <breakeven/ipc/impl/runtime.ipp>
#endif
