// breakeven/shm/impl/memory.ipp - the definitions of memory.hpp.
// Included by its header, inline; with BREAKEVEN_SEPARATE_COMPILATION, compiled once
// through <breakeven/impl/src.hpp>.
#pragma once

#include <breakeven/shm/memory.hpp>

namespace breakeven::shm::detail {

BREAKEVEN_DECL std::string read_small_file(const std::string& path) {
  std::string out;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return out;
}

BREAKEVEN_DECL std::size_t leading_number(std::string_view s) {
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

BREAKEVEN_DECL std::size_t meminfo_bytes(std::string_view key) {
  const std::string info = read_small_file("/proc/meminfo");
  const std::size_t at = info.find(key);
  if (at == std::string::npos) return SIZE_MAX;
  const std::size_t kb = leading_number(std::string_view(info).substr(at + key.size()));
  return kb == SIZE_MAX ? kb : kb * 1024;
}

BREAKEVEN_DECL std::size_t cgroup_room(const std::string& dir, const char* limit_file, const char* usage_file) {
  const std::string limit_text = read_small_file(dir + "/" + limit_file);
  if (limit_text.empty()) return SIZE_MAX;
  const std::size_t limit = leading_number(limit_text);
  if (limit >= (std::size_t{1} << 60)) return SIZE_MAX;  // "no limit" in v1 is a page-rounded 2^63
  const std::size_t usage = leading_number(read_small_file(dir + "/" + usage_file));
  return usage == SIZE_MAX || usage >= limit ? 0 : limit - usage;
}

BREAKEVEN_DECL std::size_t cgroup_available() {
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

}  // namespace breakeven::shm::detail

namespace breakeven::shm {

BREAKEVEN_DECL std::size_t available_memory() {
  return std::min(detail::meminfo_bytes("MemAvailable:"), detail::cgroup_available());
}

BREAKEVEN_DECL std::string describe_bytes(std::size_t n) {
  static constexpr const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) v /= 1024, ++u;
  if (u == 0) return std::to_string(n) + " bytes";
  const auto tenths = static_cast<long long>(v * 10 + 0.5);
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " " + units[u];
}

}  // namespace breakeven::shm
