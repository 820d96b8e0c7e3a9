// breakeven/shm/memory.hpp - how much memory a shared segment may still take, and the error
// raised, before any work starts, when a call needs more than that.
//
// The figure is /proc/meminfo's MemAvailable, capped by the memory cgroup this process runs
// in (v2: memory.max - memory.current; v1: memory.limit_in_bytes - memory.usage_in_bytes)
// when that cgroup has a limit.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

namespace breakeven {

/// A shared segment cannot take the bytes a call needs: the memory available is smaller.
/// Raised before any of the call's work is sent to a worker.
class insufficient_memory : public std::bad_alloc {
 public:
  insufficient_memory(std::size_t requested, std::size_t available, std::string what)
      : requested_(requested), available_(available), what_(std::move(what)) {}
  const char* what() const noexcept override { return what_.c_str(); }
  /// The bytes the segment had to grow by.
  std::size_t requested() const noexcept { return requested_; }
  /// The bytes available when it was asked.
  std::size_t available() const noexcept { return available_; }

 private:
  std::size_t requested_, available_;
  std::string what_;
};

namespace shm {
namespace detail {

// The whole of a small file under /proc or /sys (empty when it cannot be read).
inline std::string read_small_file(const std::string& path) {
  std::string out;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return out;
}

// The number at the start of `s` (after blanks); `max` (cgroup v2's "no limit") is SIZE_MAX.
inline std::size_t leading_number(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  if (s.substr(0, 3) == "max") return SIZE_MAX;
  std::size_t v = 0;
  bool any = false;
  for (char c : s) {
    if (c < '0' || c > '9') break;
    any = true;
    v = v > (SIZE_MAX - 9) / 10 ? SIZE_MAX : v * 10 + static_cast<std::size_t>(c - '0');
  }
  return any ? v : SIZE_MAX;
}

// The value of `key` in /proc/meminfo, in bytes (SIZE_MAX when absent).
inline std::size_t meminfo_bytes(std::string_view key) {
  const std::string info = read_small_file("/proc/meminfo");
  const std::size_t at = info.find(key);
  if (at == std::string::npos) return SIZE_MAX;
  const std::size_t kb = leading_number(std::string_view(info).substr(at + key.size()));
  return kb == SIZE_MAX ? kb : kb * 1024;
}

// limit - usage of the cgroup directory `dir` (SIZE_MAX without a limit).
inline std::size_t cgroup_room(const std::string& dir, const char* limit_file, const char* usage_file) {
  const std::string limit_text = read_small_file(dir + "/" + limit_file);
  if (limit_text.empty()) return SIZE_MAX;
  const std::size_t limit = leading_number(limit_text);
  if (limit >= (std::size_t{1} << 60)) return SIZE_MAX;  // "no limit" in v1 is a page-rounded 2^63
  const std::size_t usage = leading_number(read_small_file(dir + "/" + usage_file));
  return usage == SIZE_MAX || usage >= limit ? 0 : limit - usage;
}

// The room left in this process's memory cgroup (SIZE_MAX when it has no limit). In a
// cgroup namespace the process's own cgroup is the mount's root, hence the fallback.
inline std::size_t cgroup_available() {
  const std::string groups = read_small_file("/proc/self/cgroup");
  std::size_t room = SIZE_MAX;
  std::size_t b = 0;
  while (b < groups.size()) {
    std::size_t e = groups.find('\n', b);
    if (e == std::string::npos) e = groups.size();
    const std::string_view line(groups.data() + b, e - b);
    b = e + 1;
    const std::size_t c1 = line.find(':'), c2 = line.find(':', c1 + 1);
    if (c1 == std::string_view::npos || c2 == std::string_view::npos) continue;
    const std::string_view controllers = line.substr(c1 + 1, c2 - c1 - 1);
    const std::string path(line.substr(c2 + 1));
    std::size_t r = SIZE_MAX;
    if (line.substr(0, c1) == "0" && controllers.empty()) {  // v2
      r = cgroup_room("/sys/fs/cgroup" + path, "memory.max", "memory.current");
      if (r == SIZE_MAX) r = cgroup_room("/sys/fs/cgroup", "memory.max", "memory.current");
    } else if (("," + std::string(controllers) + ",").find(",memory,") != std::string::npos) {  // v1
      r = cgroup_room("/sys/fs/cgroup/memory" + path, "memory.limit_in_bytes", "memory.usage_in_bytes");
      if (r == SIZE_MAX) r = cgroup_room("/sys/fs/cgroup/memory", "memory.limit_in_bytes", "memory.usage_in_bytes");
    }
    room = std::min(room, r);
  }
  return room;
}

}  // namespace detail

/// Bytes of memory this process may still take: MemAvailable, capped by its memory cgroup.
inline std::size_t available_memory() {
  return std::min(detail::meminfo_bytes("MemAvailable:"), detail::cgroup_available());
}

/// "1.5 GiB", "640 KiB", "12 bytes".
inline std::string describe_bytes(std::size_t n) {
  static constexpr const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) v /= 1024, ++u;
  if (u == 0) return std::to_string(n) + " bytes";
  const auto tenths = static_cast<long long>(v * 10 + 0.5);
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " " + units[u];
}

}  // namespace shm
}  // namespace breakeven
