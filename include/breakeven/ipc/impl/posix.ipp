// breakeven/ipc/impl/posix.ipp - the definitions of posix.hpp.
// Included by its header, inline; with BREAKEVEN_SEPARATE_COMPILATION, compiled once
// through <breakeven/impl/src.hpp>.
#pragma once

#include <breakeven/ipc/posix.hpp>

namespace breakeven::ipc::detail {

BREAKEVEN_DECL void close_own_fds_except(std::span<const int> keep) noexcept {
  for (std::size_t w = 0; w < own_fd_bits.size(); ++w) {
    std::uint64_t bits = own_fd_bits[w].load(std::memory_order_relaxed);
    while (bits != 0) {
      const int b = __builtin_ctzll(bits);
      bits &= bits - 1;
      const int fd = static_cast<int>(w * 64) + b;
      bool kept = false;
      for (int k : keep) kept = kept || k == fd;
      if (!kept) {
        ::close(fd);
        untrack_fd(fd);
      }
    }
  }
}

}  // namespace breakeven::ipc::detail

namespace breakeven::ipc {

BREAKEVEN_DECL std::pair<unique_fd, unique_fd> socket_pair(int type) {
  int sv[2];
  if (::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) != 0) throw_errno("socketpair");
  return {unique_fd(sv[0]), unique_fd(sv[1])};
}

BREAKEVEN_DECL int send_message(int sock, std::span<const std::byte> data, std::span<const int> fds) noexcept {
  if (fds.size() > max_fds_per_message) return EINVAL;
  iovec iov{const_cast<std::byte*>(data.data()), data.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * max_fds_per_message)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (!fds.empty()) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  for (;;) {
    const ssize_t n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
    if (n >= 0) return static_cast<std::size_t>(n) == data.size() ? 0 : EMSGSIZE;
    if (errno != EINTR) return errno;
  }
}

BREAKEVEN_DECL ssize_t receive_message(int sock, std::span<std::byte> buf, std::vector<unique_fd>* fds, int flags) noexcept {
  iovec iov{buf.data(), buf.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * max_fds_per_message)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | flags);
  while (n < 0 && errno == EINTR);
  if (n < 0) return -1;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      if (fds != nullptr) fds->emplace_back(fd);
      else ::close(fd);
    }
  }
  if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
    errno = EMSGSIZE;
    return -1;
  }
  return n;
}

BREAKEVEN_DECL bool wait_readable(int fd, int timeout_ms) noexcept {
  pollfd p{fd, POLLIN, 0};
  int r;
  do r = ::poll(&p, 1, timeout_ms);
  while (r < 0 && errno == EINTR);
  return r > 0;
}

BREAKEVEN_DECL std::string signal_name(int sig) {
  if (const char* abbrev = ::sigabbrev_np(sig)) return std::string("SIG") + abbrev;
  return "signal " + std::to_string(sig);
}

BREAKEVEN_DECL std::string exit_status::describe() const {
  switch (kind) {
    case how::exited: return "exited with status " + std::to_string(code);
    case how::signaled: {
      std::string s = "killed by signal " + std::to_string(code) + " (" + signal_name(code);
      if (const char* d = ::sigdescr_np(code)) (s += ": ") += d;
      s += ")";
      if (core_dumped) s += ", core dumped";
      return s;
    }
    case how::unknown: break;
  }
  return "ended with an unknown status (reaped elsewhere)";
}

BREAKEVEN_DECL bool reap_pidfd(int pidfd, exit_status& out, bool block) noexcept {
  siginfo_t si{};
  for (;;) {
    const int r = ::waitid(P_PIDFD, static_cast<id_t>(pidfd), &si, WEXITED | (block ? 0 : WNOHANG));
    if (r == 0) {
      if (si.si_pid == 0) return false;  // still running
      out = exit_status::from_siginfo(si);
      return true;
    }
    if (errno == EINTR) continue;
    out = exit_status{};  // ECHILD: another handler reaped it
    return true;
  }
}

BREAKEVEN_DECL unsigned thread_count() noexcept {
  const int fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[4096];
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  const char* p = std::strstr(buf, "\nThreads:");
  if (p == nullptr) return 0;
  p += 9;
  while (*p == ' ' || *p == '\t') ++p;
  unsigned v = 0;
  while (*p >= '0' && *p <= '9') v = v * 10 + static_cast<unsigned>(*p++ - '0');
  return v;
}

}  // namespace breakeven::ipc
