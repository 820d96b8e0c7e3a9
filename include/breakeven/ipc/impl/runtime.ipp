// breakeven/ipc/impl/runtime.ipp - the definitions of runtime.hpp.
// Included by its header, inline; with BREAKEVEN_SEPARATE_COMPILATION, compiled once
// through <breakeven/impl/src.hpp>.
#pragma once

#include <breakeven/ipc/runtime.hpp>

#include <algorithm>
#include <cstring>

#include <fcntl.h>
#include <link.h>
#include <poll.h>

// The program's initialization array, as the linker delimits it (weak: absent, the start-up
// hook does not take over).
extern "C" {
extern breakeven::ipc::detail::init_array_fn __init_array_start[] __attribute__((weak, visibility("hidden")));
extern breakeven::ipc::detail::init_array_fn __init_array_end[] __attribute__((weak, visibility("hidden")));
}

namespace breakeven::ipc::detail {

BREAKEVEN_DECL runtime_state& runtime() {
  static runtime_state s;
  return s;
}

BREAKEVEN_DECL void stop_server_locked(runtime_state& s) noexcept {
  s.conn.reset();
  if (s.server > 0) {
    int st;
    while (::waitpid(s.server, &st, 0) < 0 && errno == EINTR) {
    }
  }
  s.server = -1;
}

BREAKEVEN_DECL void stop_server_at_exit() noexcept {
  runtime_state& s = runtime();
  std::lock_guard lock(s.mu);
  stop_server_locked(s);
}

BREAKEVEN_DECL startup_state& startup() {
  static startup_state s;
  return s;
}

namespace {
// True when `p` lies in the main program's image (not in a shared library's).
bool in_main_program(const void* p) noexcept {
  struct query {
    std::uintptr_t address;
    bool found;
  } q{reinterpret_cast<std::uintptr_t>(p), false};
  ::dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) -> int {
        auto* asked = static_cast<query*>(data);
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr)& ph = info->dlpi_phdr[i];
          const std::uintptr_t b = info->dlpi_addr + ph.p_vaddr;
          if (ph.p_type == PT_LOAD && asked->address >= b && asked->address < b + ph.p_memsz) asked->found = true;
        }
        return 1;  // the first object is the main program: stop there
      },
      &q);
  return q.found;
}

// Reports `why` on the connection of a fresh server that cannot serve, and ends it.
[[noreturn]] void refuse_to_serve(int conn, const std::string& why) noexcept {
  (void)send_record(conn, {server_op::refused}, std::as_bytes(std::span(why.data(), why.size())));
  ::_exit(125);
}
}  // namespace

BREAKEVEN_DECL void on_startup(int argc, char** argv, char** envp, init_array_fn self) noexcept {
  startup_state& st = startup();
  if (st.taking_over) return;  // a later unit's hook, run by the one taking over
  init_array_fn* const first = __init_array_start;
  init_array_fn* const last = __init_array_end;
  if (first == nullptr || last == nullptr || !in_main_program(first)) return;
  init_array_fn* at = std::find(first, last, self);
  if (at == last) return;
  st.hook_in_program = true;
  const char* server = std::getenv(server_variable);
  const char* spawned = std::getenv(spawn_variable);
  if (server == nullptr && spawned == nullptr) return;
  // A fresh image: finish the program's initialization as the C library would (in order,
  // each function once), then do the work the marker names instead of main.
  st.taking_over = true;
  for (init_array_fn* f = at + 1; f != last; ++f)
    if (*f != nullptr && *f != reinterpret_cast<init_array_fn>(-1)) (*f)(argc, argv, envp);
  if (spawned != nullptr) run_spawned_child(spawned);
  const int conn = std::atoi(server);
  if (const char* parent = std::strchr(server, ':')) die_with_parent(static_cast<pid_t>(std::atol(parent + 1)));
  ::unsetenv(server_variable);
  if (const unsigned n = foreign_thread_count(); n > 1)
    refuse_to_serve(conn, "the program's static initialization started " + std::to_string(n - 1) +
                              " thread(s), so a fresh image of it is not single-threaded either");
  if (send_record(conn, {server_op::ready}) != 0) ::_exit(125);
  run_fork_server(conn, true);
}

BREAKEVEN_DECL pid_t spawn_self(int fd, const char* variable) {
  unique_fd moved;
  if (fd == 3) {  // dup2(3, 3) would leave close-on-exec set
    moved = checked_fd(::fcntl(fd, F_DUPFD_CLOEXEC, 4), "fcntl(F_DUPFD_CLOEXEC)");
    fd = moved.get();
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fd, 3);
  posix_spawn_file_actions_addclosefrom_np(&fa, 4);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);

  const std::vector<std::string> args = own_command_line();
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const std::string prefix = std::string(variable) + "=";
  // The descriptor, then this process's pid: the child watches for its death (parent_death.hpp).
  std::string marker = prefix + "3:" + std::to_string(::getpid());
  std::vector<char*> envp;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e)
    if (!std::string_view(*e).starts_with(prefix)) envp.push_back(*e);
  envp.push_back(marker.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, "/proc/self/exe", &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw_errno("posix_spawn(/proc/self/exe)", rc);
  return pid;
}

namespace {
// Starts the shared server as a fresh image of the program and waits until it serves.
void start_fresh_server_locked(runtime_state& s) {
  auto [mine, theirs] = socket_pair(SOCK_SEQPACKET);
  size_record_socket(mine.get());
  size_record_socket(theirs.get());
  const pid_t pid = spawn_self(theirs.get(), server_variable);
  theirs.reset();
  // The image runs the program's static initialization first: bounded, never a hang.
  constexpr int ready_timeout_ms = 60'000;
  std::string why;
  pollfd p{mine.get(), POLLIN, 0};
  int polled;
  while ((polled = ::poll(&p, 1, ready_timeout_ms)) < 0 && errno == EINTR) {
  }
  if (polled == 0) {
    why = "it did not finish the program's static initialization within 60 s";
  } else {
    std::vector<std::byte> buf(4096 + sizeof(server_header));
    const ssize_t n = receive_message(mine.get(), buf, nullptr);
    server_header h;
    if (n >= static_cast<ssize_t>(sizeof h)) std::memcpy(&h, buf.data(), sizeof h);
    if (n == static_cast<ssize_t>(sizeof h) && h.op == server_op::ready) {
      s.conn = std::move(mine);
      s.server = pid;
      return;
    }
    if (n >= static_cast<ssize_t>(sizeof h) && h.op == server_op::refused)
      why.assign(reinterpret_cast<const char*>(buf.data() + sizeof h), static_cast<std::size_t>(n) - sizeof h);
    else
      why = "it exited before serving (a static initializer of the program ended it)";
  }
  mine.reset();
  ::kill(pid, SIGKILL);
  int st;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  throw process_error("breakeven: the fork server could not start as a fresh image of the program: " + why +
                      "; call breakeven::process_runtime::init(argc, argv) first thing in main()");
}
}  // namespace

BREAKEVEN_DECL void start_server_locked(runtime_state& s, bool from_init) {
  if (!from_init && startup().hook_in_program) {
    start_fresh_server_locked(s);
  } else {
    if (!from_init) {
      if (const unsigned n = foreign_thread_count(); n > 1)
        throw process_error(
            "breakeven: the fork server cannot start safely: this process runs " + std::to_string(n) +
            " threads, and the library's start-up hook is not in the main program (the process executors are "
            "used from a shared library), so no fresh image of the program can serve; call "
            "breakeven::process_runtime::init(argc, argv) first thing in main()");
    }
    auto [mine, theirs] = socket_pair(SOCK_SEQPACKET);
    size_record_socket(mine.get());
    size_record_socket(theirs.get());
    std::fflush(nullptr);  // the server must not inherit (and later repeat) buffered output
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) {
      die_with_parent(parent);
      run_fork_server(theirs.get(), true);
    }
    if (pid < 0) throw_errno("fork (starting the fork server)");
    s.conn = std::move(mine);
    s.server = pid;
  }
  if (!s.atexit_registered) {
    s.atexit_registered = true;
    std::atexit(&stop_server_at_exit);
  }
}

BREAKEVEN_DECL void check_not_unclaimed_spawn_child() {
  if (std::getenv(server_variable) != nullptr) {  // never a fresh image starting another
    std::fprintf(stderr,
                 "breakeven: a process was started during the static initialization of the fork server's image "
                 "of the program; start processes from main()\n");
    std::fflush(stderr);
    ::_exit(126);
  }
  if (std::getenv(spawn_variable) != nullptr) {
    std::fprintf(stderr,
                 "breakeven: this process was spawned as a worker but main() did not call "
                 "breakeven::process_runtime::init(argc, argv) before creating processes\n");
    std::fflush(stderr);
    ::_exit(126);
  }
}

BREAKEVEN_DECL void require_single_threaded(const char* for_what) {
  const unsigned n = foreign_thread_count();
  if (n > 1)
    throw process_error(std::string("breakeven: the fork start method cannot be used for ") + for_what +
                        ": this process runs " + std::to_string(n) +
                        " threads, and fork copies their locks but not the threads that would release them; "
                        "use start_method::fork_server (the default) or start_method::spawn");
}

BREAKEVEN_DECL std::vector<std::string> own_command_line() {
  std::vector<std::string> args;
  const int fd = ::open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    std::string all;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) all.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    for (std::size_t b = 0; b < all.size();) {
      const std::size_t e = all.find('\0', b);
      args.push_back(all.substr(b, e == std::string::npos ? std::string::npos : e - b));
      if (e == std::string::npos) break;
      b = e + 1;
    }
  }
  if (args.empty()) args.emplace_back("breakeven-child");
  return args;
}

}  // namespace breakeven::ipc::detail

namespace breakeven::ipc {

BREAKEVEN_DECL unique_fd connect_fork_server() {
  detail::check_not_unclaimed_spawn_child();
  detail::runtime_state& s = detail::runtime();
  std::lock_guard lock(s.mu);
  for (int attempt = 0;; ++attempt) {
    if (!s.conn) detail::start_server_locked(s, false);
    auto [mine, theirs] = socket_pair(SOCK_SEQPACKET);
    size_record_socket(mine.get());
    const int fds[] = {theirs.get()};
    const int e = send_record(s.conn.get(), {server_op::connect}, {}, fds);
    if (e == 0) return std::move(mine);
    detail::stop_server_locked(s);  // the server died: start a new one, once
    if (attempt == 1) throw_errno("connecting to the fork server", e);
  }
}

BREAKEVEN_DECL server_link start_private_server() {
  detail::check_not_unclaimed_spawn_child();
  detail::require_single_threaded("a pool");
  auto [mine, theirs] = socket_pair(SOCK_SEQPACKET);
  size_record_socket(mine.get());
  size_record_socket(theirs.get());
  std::fflush(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    die_with_parent(parent);
    run_fork_server(theirs.get(), false);
  }
  if (pid < 0) throw_errno("fork (starting a pool's private fork server)");
  return server_link(std::move(mine), pid);
}

BREAKEVEN_DECL started_child fork_child(const start_message& m) {
  detail::check_not_unclaimed_spawn_child();
  detail::require_single_threaded("a process");
  std::fflush(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    die_with_parent(parent);
    detail::own_threads.store(0, std::memory_order_relaxed);
    detail::close_own_fds_except(m.fds);
    run_child(m.bytes, m.fds);
  }
  if (pid < 0) throw_errno("fork");
  started_child c;
  c.pid = pid;
  c.pidfd = open_pidfd(pid);
  return c;
}

BREAKEVEN_DECL started_child spawn_child(const start_message& m) {
  detail::check_not_unclaimed_spawn_child();
  {
    detail::runtime_state& s = detail::runtime();
    std::lock_guard lock(s.mu);
    if (!s.init_called && !detail::startup().hook_in_program)
      throw process_error(
          "breakeven: the spawn start method needs breakeven::process_runtime::init(argc, argv) at the top of "
          "main() here (the library's start-up hook is not in the main program): the spawned program runs "
          "main() again and must stop there");
  }
  if (m.bytes.size() > server_record_limit)
    throw std::length_error("breakeven: process start arguments exceed " + std::to_string(server_record_limit) + " bytes");
  auto [mine, theirs] = socket_pair(SOCK_SEQPACKET);
  size_record_socket(mine.get());
  size_record_socket(theirs.get());
  started_child c;
  c.pid = detail::spawn_self(theirs.get(), detail::spawn_variable);
  theirs.reset();
  c.pidfd = open_pidfd(c.pid);
  if (const int e = send_message(mine.get(), m.bytes, m.fds); e != 0) {
    signal_pidfd(c.pidfd.get(), SIGKILL);
    exit_status ignored;
    reap_pidfd(c.pidfd.get(), ignored, true);
    throw_errno("sending the start message to a spawned child", e);
  }
  return c;
}

}  // namespace breakeven::ipc

namespace breakeven::ipc::detail {

[[noreturn]] BREAKEVEN_DECL void run_spawned_child(const char* fd_text) noexcept {
  const int fd = std::atoi(fd_text);
  if (const char* parent = std::strchr(fd_text, ':')) die_with_parent(static_cast<pid_t>(std::atol(parent + 1)));
  ::unsetenv(spawn_variable);
  std::vector<std::byte> buf(server_record_limit);
  std::vector<unique_fd> fds;
  const ssize_t n = receive_message(fd, buf, &fds);
  if (n <= 0) {
    std::fprintf(stderr, "breakeven: spawned child received no start message\n");
    ::_exit(127);
  }
  ::close(fd);
  std::vector<int> raw;
  for (unique_fd& f : fds) raw.push_back(f.release());
  run_child(std::span<const std::byte>(buf.data(), static_cast<std::size_t>(n)), raw);
}

}  // namespace breakeven::ipc::detail

namespace breakeven::process_runtime {

BREAKEVEN_DECL void init([[maybe_unused]] int argc, [[maybe_unused]] char** argv) {
  if (const char* fd = std::getenv(ipc::detail::spawn_variable)) ipc::detail::run_spawned_child(fd);
  ipc::detail::runtime_state& s = ipc::detail::runtime();
  std::lock_guard lock(s.mu);
  s.init_called = true;
  const char* off = std::getenv("BREAKEVEN_FORK_SERVER");
  if (!s.conn && !(off != nullptr && std::string_view(off) == "0")) ipc::detail::start_server_locked(s, true);
}

BREAKEVEN_DECL bool initialized() {
  ipc::detail::runtime_state& s = ipc::detail::runtime();
  std::lock_guard lock(s.mu);
  return s.init_called;
}

BREAKEVEN_DECL pid_t fork_server_pid() {
  ipc::detail::runtime_state& s = ipc::detail::runtime();
  std::lock_guard lock(s.mu);
  return s.server;
}

BREAKEVEN_DECL void shutdown() { ipc::detail::stop_server_at_exit(); }

}  // namespace breakeven::process_runtime
