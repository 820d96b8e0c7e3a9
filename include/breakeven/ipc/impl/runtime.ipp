// breakeven/ipc/impl/runtime.ipp - the definitions of runtime.hpp.
// Included by its header, inline; with BREAKEVEN_SEPARATE_COMPILATION, compiled once
// through <breakeven/impl/src.hpp>.
#pragma once

#include <breakeven/ipc/runtime.hpp>

#include <cstring>

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

BREAKEVEN_DECL void start_server_locked(runtime_state& s) {
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
  if (!s.atexit_registered) {
    s.atexit_registered = true;
    std::atexit(&stop_server_at_exit);
  }
}

BREAKEVEN_DECL void check_not_unclaimed_spawn_child() {
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
    if (!s.conn) detail::start_server_locked(s);
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
    if (!s.init_called)
      throw process_error(
          "breakeven: the spawn start method needs breakeven::process_runtime::init(argc, argv) at the top of "
          "main(): the spawned program runs main() again and must stop there");
  }
  if (m.bytes.size() > server_record_limit)
    throw std::length_error("breakeven: process start arguments exceed " + std::to_string(server_record_limit) + " bytes");
  auto [mine, theirs] = socket_pair(SOCK_SEQPACKET);
  size_record_socket(mine.get());
  size_record_socket(theirs.get());
  if (theirs.get() == 3) {  // dup2(3, 3) would leave close-on-exec set
    unique_fd moved = checked_fd(::fcntl(theirs.get(), F_DUPFD_CLOEXEC, 4), "fcntl(F_DUPFD_CLOEXEC)");
    theirs = std::move(moved);
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, theirs.get(), 3);
  posix_spawn_file_actions_addclosefrom_np(&fa, 4);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);

  const std::vector<std::string> args = detail::own_command_line();
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  // The descriptor, then this process's pid: the child watches for its death (parent_death.hpp).
  std::string marker = std::string(detail::spawn_variable) + "=3:" + std::to_string(::getpid());
  std::vector<char*> envp;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e)
    if (std::string_view(*e).substr(0, std::string_view(detail::spawn_variable).size() + 1) != std::string(detail::spawn_variable) + "=")
      envp.push_back(*e);
  envp.push_back(marker.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, "/proc/self/exe", &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw_errno("posix_spawn(/proc/self/exe)", rc);
  theirs.reset();
  started_child c;
  c.pid = pid;
  c.pidfd = open_pidfd(pid);
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
  if (!s.conn && !(off != nullptr && std::string_view(off) == "0")) ipc::detail::start_server_locked(s);
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
