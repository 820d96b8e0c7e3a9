// breakeven/shm/arena.hpp - the shared segment of a shared-memory pool.
//
// One anonymous memfd per pool: it never has a name in /dev/shm, so nothing can be left
// there, whatever ends the program; the memory is freed when the last process that maps it
// or holds its descriptor ends. The caller maps it inside an address range reserved up
// front, so the segment grows in place and a pointer into it stays valid for the segment's
// life; workers receive its descriptor when they start and map it themselves.
//
// The segment is handed out in page-aligned blocks. A released block goes back to a free
// list and is reused by later calls: its pages stay allocated and mapped in every process,
// so a steady stream of calls pays neither set-up nor page faults. Free memory beyond
// `retain_bytes` is given back to the system (hole punching) and allocated again on reuse.
// Growth checks the memory available first and allocates the pages at once
// (posix_fallocate), so a call that cannot fit fails with insufficient_memory before any
// work starts, never with SIGBUS later.
#pragma once

#include <breakeven/detail/decl.hpp>
#include <breakeven/ipc/posix.hpp>
#include <breakeven/limits.hpp>
#include <breakeven/shm/memory.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <mutex>
#include <string>
#include <system_error>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

namespace breakeven::shm {

/// A piece of the segment: its offset and size in bytes (page multiples).
struct block {
  std::size_t offset = 0;
  std::size_t size = 0;
  explicit operator bool() const noexcept { return size != 0; }
};

/// How a segment grows and what it keeps.
struct arena_options {
  /// Free memory kept allocated for reuse; pages freed beyond it go back to the system.
  std::size_t retain_bytes = breakeven::limits::shm_retain_bytes;
  /// Address space reserved for growth in place (0: the machine's memory and swap).
  std::size_t reserve_bytes = 0;
  /// Growth is rounded up to this many bytes (each byte grown is allocated and mapped at
  /// once: a large rounding makes a small first call pay for memory it does not use).
  std::size_t grow_bytes = std::size_t{64} << 10;
};

/// What a segment holds and has done.
struct arena_stats {
  std::size_t size_bytes = 0;       ///< the segment's size, all of it mapped in this process
  std::size_t in_use_bytes = 0;     ///< in blocks handed out
  std::size_t retained_bytes = 0;   ///< free and allocated: reusable without new pages
  /// Memory the segment holds now, measured (its memfd's allocated blocks), whichever process
  /// allocated it: in use and retained, and any page a process touched outside them.
  std::size_t resident_bytes = 0;
  std::uint64_t grows = 0;          ///< times the segment grew
  std::uint64_t allocations = 0;    ///< blocks handed out
  std::uint64_t reuses = 0;         ///< of which served entirely by retained pages
  std::uint64_t trims = 0;          ///< free ranges whose pages were given back
};

/// The shared segment: a memfd, mapped here at a fixed address, handed out in blocks.
class arena {
 public:
  explicit arena(const arena_options& o = {});
  arena(const arena&) = delete;
  arena& operator=(const arena&) = delete;
  ~arena() { ::munmap(base_, reserve_); }

  /// The segment's descriptor (workers receive it at start).
  int fd() const noexcept { return fd_.get(); }
  /// Where the segment starts in this process.
  std::byte* base() const noexcept { return base_; }
  /// The segment's size in bytes: every offset a worker is given lies below it.
  std::size_t size() const noexcept { return size_.load(std::memory_order_acquire); }
  std::size_t page_size() const noexcept { return page_; }

  /// True when [p, p + n) lies inside the segment.
  bool contains(const void* p, std::size_t n) const noexcept {
    const auto a = reinterpret_cast<std::uintptr_t>(p), b = reinterpret_cast<std::uintptr_t>(base_);
    return a >= b && a - b <= size() && n <= size() - (a - b);
  }
  /// The offset of `p`, a pointer into the segment.
  std::size_t offset_of(const void* p) const noexcept {
    return static_cast<std::size_t>(static_cast<const std::byte*>(p) - base_);
  }
  std::byte* at(std::size_t offset) const noexcept { return base_ + offset; }

  /// A block of at least `bytes` (one page at least), page-aligned, its pages allocated.
  /// Throws insufficient_memory when the segment would have to grow past the memory available.
  block allocate(std::size_t bytes);

  /// Grows the segment once, if needed, so that blocks totalling `bytes` (page multiples)
  /// can then be handed out without growing again. Throws insufficient_memory.
  void reserve(std::size_t bytes);

  /// Returns a block to the free list (its pages kept, up to retain_bytes of them).
  void release(block b) noexcept;

  /// True when a block of `bytes` can be handed out without growing or allocating pages.
  bool has_retained(std::size_t bytes) const {
    const std::size_t size = round_up(std::max<std::size_t>(bytes, 1), page_);
    std::lock_guard lock(mu_);
    for (const auto& [off, len] : free_)
      if (len >= size && !overlaps_hole(off, size)) return true;
    return false;
  }

  /// Gives every free page back to the system (the segment keeps its size and address).
  void trim() noexcept;

  arena_stats stats() const {
    std::lock_guard lock(mu_);
    arena_stats s = stats_;
    s.size_bytes = size();
    s.retained_bytes = free_bytes_locked() - bytes_of(holes_);
    struct stat st {};
    if (::fstat(fd_.get(), &st) == 0) s.resident_bytes = static_cast<std::size_t>(st.st_blocks) * 512;
    return s;
  }

 private:
  using extents = std::map<std::size_t, std::size_t>;  // offset -> length, disjoint, coalesced

  static std::size_t round_up(std::size_t n, std::size_t to) noexcept { return (n + to - 1) / to * to; }

  static void insert(extents& e, std::size_t off, std::size_t len);
  static std::size_t bytes_of(const extents& e) noexcept {
    std::size_t n = 0;
    for (const auto& x : e) n += x.second;
    return n;
  }
  std::size_t free_bytes_locked() const noexcept { return bytes_of(free_); }
  bool overlaps_hole(std::size_t off, std::size_t len) const noexcept {
    auto it = holes_.upper_bound(off);
    if (it != holes_.begin() && std::prev(it)->first + std::prev(it)->second > off) return true;
    return it != holes_.end() && it->first < off + len;
  }

  // Punches the pages of [off, off + len) out of the memfd and records them as a hole
  // (merged with the holes it touches).
  void punch(std::size_t off, std::size_t len) noexcept;

  // Allocates the pages of any hole inside block `b`; true when there was none.
  bool back_locked(const block& b);

  static void check_memory(std::size_t need, std::size_t avail = available_memory());
  [[noreturn]] void fail_allocation(std::size_t need, int err) const {
    throw insufficient_memory(need, available_memory(),
                              "breakeven: allocating " + describe_bytes(need) + " for the shared segment failed: " +
                                  std::system_category().message(err));
  }

  // Grows the segment so that a free extent of `size` bytes exists at its end; returns it.
  extents::iterator grow_locked(std::size_t size);

  arena_options opt_;
  std::size_t page_;
  std::size_t reserve_ = 0;
  ipc::unique_fd fd_;
  std::byte* base_ = nullptr;
  std::atomic<std::size_t> size_{0};
  mutable std::mutex mu_;
  extents free_, holes_;
  arena_stats stats_;
};

}  // namespace breakeven::shm

#if !defined(BREAKEVEN_SEPARATE_COMPILATION)
#include <breakeven/shm/impl/arena.ipp>
#endif
