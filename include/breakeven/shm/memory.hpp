// breakeven/shm/memory.hpp - how much memory a shared segment may still take, and the error
// raised, before any work starts, when a call needs more than that.
//
// The figure is /proc/meminfo's MemAvailable, capped by the memory cgroup this process runs
// in (v2: memory.max - memory.current; v1: memory.limit_in_bytes - memory.usage_in_bytes)
// when that cgroup has a limit.
#pragma once

#include <breakeven/detail/decl.hpp>
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
BREAKEVEN_DECL std::string read_small_file(const std::string& path);

// The number at the start of `s` (after blanks); `max` (cgroup v2's "no limit") is SIZE_MAX.
BREAKEVEN_DECL std::size_t leading_number(std::string_view s);

// The value of `key` in /proc/meminfo, in bytes (SIZE_MAX when absent).
BREAKEVEN_DECL std::size_t meminfo_bytes(std::string_view key);

// limit - usage of the cgroup directory `dir` (SIZE_MAX without a limit).
BREAKEVEN_DECL std::size_t cgroup_room(const std::string& dir, const char* limit_file, const char* usage_file);

// The room left in this process's memory cgroup (SIZE_MAX when it has no limit). In a
// cgroup namespace the process's own cgroup is the mount's root, hence the fallback.
BREAKEVEN_DECL std::size_t cgroup_available();

}  // namespace detail

/// Bytes of memory this process may still take: MemAvailable, capped by its memory cgroup.
BREAKEVEN_DECL std::size_t available_memory();

/// "1.5 GiB", "640 KiB", "12 bytes".
BREAKEVEN_DECL std::string describe_bytes(std::size_t n);

}  // namespace shm
}  // namespace breakeven

#if !defined(BREAKEVEN_SEPARATE_COMPILATION)
#include <breakeven/shm/impl/memory.ipp>
#endif
