// Shared-memory hygiene for tests: the names in /dev/shm, and the mappings of shared
// segments (the library's memfds) in a process, with their size and resident memory.
#pragma once

#include <cstddef>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

namespace breakeven_test {

/// The names in /dev/shm now that this process's user owns (any name the library made would
/// be; other users' programs, a database server on a shared machine, come and go).
inline std::set<std::string> dev_shm_entries() {
  std::set<std::string> out;
  if (DIR* d = ::opendir("/dev/shm")) {
    while (const dirent* e = ::readdir(d)) {
      struct stat st {};
      if (e->d_name[0] == '.' || ::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      if (st.st_uid == ::geteuid()) out.insert(e->d_name);
    }
    ::closedir(d);
  }
  return out;
}

/// The mappings of shared segments in process `pid` (0: this one), from its smaps.
struct segment_mappings {
  std::size_t count = 0;      ///< mappings of a segment memfd
  std::size_t size_kb = 0;    ///< their total size
  std::size_t rss_kb = 0;     ///< their resident memory
};

inline segment_mappings shared_segment_mappings(pid_t pid = 0) {
  segment_mappings m;
  std::ifstream f(pid == 0 ? std::string("/proc/self/smaps") : "/proc/" + std::to_string(pid) + "/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(f, line)) {
    // A mapping's header line is "start-end perms offset dev inode [name]"; the lines
    // after it, up to the next header, are its attributes ("Rss:   12 kB").
    const std::size_t dash = line.find('-');
    const bool header = dash != 0 && dash != std::string::npos &&
                        line.find_first_not_of("0123456789abcdef") == dash;
    if (header) {
      inside = line.find("/memfd:breakeven-shm") != std::string::npos;
      m.count += inside;
      continue;
    }
    if (!inside) continue;
    std::istringstream in(line);
    std::string key;
    std::size_t kb = 0;
    in >> key >> kb;
    if (key == "Size:") m.size_kb += kb;
    else if (key == "Rss:") m.rss_kb += kb;
  }
  return m;
}

}  // namespace breakeven_test
