// Process hygiene for tests: no child process left behind (zombie or running), and the
// open descriptor count back to where it was. tests/process/main.cpp registers a Catch2
// listener that checks both after every test case and fails the run naming the leaker.
#pragma once

#include <breakeven/ipc/runtime.hpp>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <dirent.h>
#include <unistd.h>

namespace breakeven_test {

/// Open descriptors of this process.
inline int open_fds() {
  int n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (const dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') ++n;
    ::closedir(d);
    --n;  // the directory's own descriptor
  }
  return n;
}

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define BREAKEVEN_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define BREAKEVEN_TEST_SANITIZED 1
#endif
#endif
#ifdef BREAKEVEN_TEST_SANITIZED
extern "C" void __sanitizer_symbolize_pc(void* pc, const char* fmt, char* out, std::size_t size);
#endif

/// In a sanitizer build: starts the runtime's symbolizer (a child process with pipes to it)
/// now, so that it is part of every test's baseline rather than a leak of the first test
/// whose (suppressed) report it symbolizes.
inline void start_sanitizer_symbolizer() {
#ifdef BREAKEVEN_TEST_SANITIZED
  char buf[256];
  __sanitizer_symbolize_pc(__builtin_return_address(0), "%p %F %L", buf, sizeof buf);
#endif
}

/// The sanitizer runtime's own helper processes, which are not the library's.
inline bool sanitizer_helper(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/comm");
  std::string comm;
  std::getline(f, comm);
  return comm.find("symbolizer") != std::string::npos || comm == "addr2line";
}

/// pid -> (parent, state) of every process, from /proc.
inline std::map<pid_t, std::pair<pid_t, char>> process_table() {
  std::map<pid_t, std::pair<pid_t, char>> out;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return out;
  while (const dirent* e = ::readdir(d)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    std::ifstream f(std::string("/proc/") + e->d_name + "/stat");
    std::string line;
    if (!std::getline(f, line)) continue;
    const auto close = line.rfind(')');  // the command name may hold spaces
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state;
    pid_t ppid;
    if (rest >> state >> ppid) out[pid] = {ppid, state};
  }
  ::closedir(d);
  return out;
}

/// Processes whose parent is `parent` (zombies included), from /proc.
inline std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  for (const auto& [pid, info] : process_table())
    if (info.first == parent) out.push_back(pid);
  return out;
}

/// Child processes the library left: children of this process other than the shared fork
/// server, and any children of the fork server (its workers).
inline std::vector<pid_t> stray_children() {
  const pid_t server = breakeven::process_runtime::fork_server_pid();
  std::vector<pid_t> out;
  for (pid_t c : children_of(::getpid()))
    if (c != server && !sanitizer_helper(c)) out.push_back(c);
  if (server > 0)
    for (pid_t c : children_of(server)) out.push_back(c);
  return out;
}

/// Waits up to `limit` for no stray children and `fds` open descriptors; true when so.
inline bool settles(int fds, std::chrono::milliseconds limit = std::chrono::milliseconds(3000)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (stray_children().empty() && open_fds() == fds) return true;
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace breakeven_test
