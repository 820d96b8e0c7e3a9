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

#include <breakeven/ipc/posix.hpp>
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
  std::size_t retain_bytes = std::size_t{256} << 20;
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
  std::uint64_t grows = 0;          ///< times the segment grew
  std::uint64_t allocations = 0;    ///< blocks handed out
  std::uint64_t reuses = 0;         ///< of which served entirely by retained pages
  std::uint64_t trims = 0;          ///< free ranges whose pages were given back
};

/// The shared segment: a memfd, mapped here at a fixed address, handed out in blocks.
class arena {
 public:
  explicit arena(const arena_options& o = {}) : opt_(o), page_(static_cast<std::size_t>(::sysconf(_SC_PAGESIZE))) {
    if (opt_.grow_bytes < page_) opt_.grow_bytes = page_;
    opt_.grow_bytes = round_up(opt_.grow_bytes, page_);
    if (opt_.reserve_bytes == 0) {
      struct sysinfo si {};
      ::sysinfo(&si);
      opt_.reserve_bytes = (static_cast<std::size_t>(si.totalram) + static_cast<std::size_t>(si.totalswap)) * si.mem_unit;
    }
    reserve_ = round_up(std::max(opt_.reserve_bytes, opt_.grow_bytes), std::size_t{1} << 30);
    fd_ = ipc::checked_fd(::memfd_create("breakeven-shm", MFD_CLOEXEC), "memfd_create(shared segment)");
    void* p = ::mmap(nullptr, reserve_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) ipc::throw_errno("mmap(reserving the shared segment's address range)");
    base_ = static_cast<std::byte*>(p);
  }
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
  block allocate(std::size_t bytes) {
    const std::size_t size = round_up(std::max<std::size_t>(bytes, 1), page_);
    std::lock_guard lock(mu_);
    auto best = free_.end();
    for (auto it = free_.begin(); it != free_.end(); ++it)
      if (it->second >= size && (best == free_.end() || it->second < best->second)) best = it;
    const bool grew = best == free_.end();
    if (grew) best = grow_locked(size);
    const block b{best->first, size};
    const std::size_t rest = best->second - size;
    free_.erase(best);
    if (rest != 0) free_.emplace(b.offset + size, rest);
    bool backed = false;
    try {
      backed = back_locked(b);
    } catch (...) {
      insert(free_, b.offset, b.size);
      throw;
    }
    ++stats_.allocations;
    stats_.reuses += !grew && backed;
    stats_.in_use_bytes += size;
    return b;
  }

  /// Grows the segment once, if needed, so that blocks totalling `bytes` (page multiples)
  /// can then be handed out without growing again. Throws insufficient_memory.
  void reserve(std::size_t bytes) {
    std::lock_guard lock(mu_);
    for (const auto& [off, len] : free_)
      if (len >= bytes) return;
    (void)grow_locked(round_up(std::max<std::size_t>(bytes, 1), page_));
  }

  /// Returns a block to the free list (its pages kept, up to retain_bytes of them).
  void release(block b) noexcept {
    if (!b) return;
    std::lock_guard lock(mu_);
    stats_.in_use_bytes -= b.size;
    insert(free_, b.offset, b.size);
    std::size_t retained = free_bytes_locked() - bytes_of(holes_);
    if (retained > opt_.retain_bytes) {
      // Give back the pages of the block just released (what is not a hole already).
      const std::size_t before = bytes_of(holes_);
      punch(b.offset, b.size);
      if (bytes_of(holes_) != before) ++stats_.trims;
    }
  }

  /// True when a block of `bytes` can be handed out without growing or allocating pages.
  bool has_retained(std::size_t bytes) const {
    const std::size_t size = round_up(std::max<std::size_t>(bytes, 1), page_);
    std::lock_guard lock(mu_);
    for (const auto& [off, len] : free_)
      if (len >= size && !overlaps_hole(off, size)) return true;
    return false;
  }

  /// Gives every free page back to the system (the segment keeps its size and address).
  void trim() noexcept {
    std::lock_guard lock(mu_);
    for (const auto& [off, len] : free_) punch(off, len);
    ++stats_.trims;
  }

  arena_stats stats() const {
    std::lock_guard lock(mu_);
    arena_stats s = stats_;
    s.size_bytes = size();
    s.retained_bytes = free_bytes_locked() - bytes_of(holes_);
    return s;
  }

 private:
  using extents = std::map<std::size_t, std::size_t>;  // offset -> length, disjoint, coalesced

  static std::size_t round_up(std::size_t n, std::size_t to) noexcept { return (n + to - 1) / to * to; }

  static void insert(extents& e, std::size_t off, std::size_t len) {
    auto next = e.lower_bound(off);
    if (next != e.begin()) {
      auto prev = std::prev(next);
      if (prev->first + prev->second == off) {
        off = prev->first;
        len += prev->second;
        e.erase(prev);
      }
    }
    if (next != e.end() && off + len == next->first) {
      len += next->second;
      e.erase(next);
    }
    e.emplace(off, len);
  }
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
  void punch(std::size_t off, std::size_t len) noexcept {
    if (len == 0) return;
    constexpr int punch_hole = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
    if (::fallocate(fd_.get(), punch_hole, static_cast<off_t>(off), static_cast<off_t>(len)) != 0)
      return;  // the pages stay: still correct, merely kept
    std::size_t lo = off, hi = off + len;
    for (auto it = holes_.begin(); it != holes_.end();) {
      if (it->first <= hi && it->first + it->second >= lo) {
        lo = std::min(lo, it->first);
        hi = std::max(hi, it->first + it->second);
        it = holes_.erase(it);
      } else {
        ++it;
      }
    }
    holes_.emplace(lo, hi - lo);
  }

  // Allocates the pages of any hole inside block `b`; true when there was none.
  bool back_locked(const block& b) {
    std::size_t need = 0;
    for (auto it = holes_.begin(); it != holes_.end(); ++it)
      if (it->first < b.offset + b.size && it->first + it->second > b.offset)
        need += std::min(it->first + it->second, b.offset + b.size) - std::max(it->first, b.offset);
    if (need == 0) return true;
    check_memory(need);
    extents left;
    for (const auto& [o, l] : holes_) {
      const std::size_t lo = std::max(o, b.offset), hi = std::min(o + l, b.offset + b.size);
      if (lo >= hi) {
        left.emplace(o, l);
        continue;
      }
      if (const int e = ::posix_fallocate(fd_.get(), static_cast<off_t>(lo), static_cast<off_t>(hi - lo)); e != 0)
        fail_allocation(need, e);
      if (o < lo) left.emplace(o, lo - o);
      if (hi < o + l) left.emplace(hi, o + l - hi);
    }
    holes_.swap(left);
    return false;
  }

  static void check_memory(std::size_t need, std::size_t avail = available_memory()) {
    if (need > avail)
      throw insufficient_memory(need, avail,
                                "breakeven: the shared segment must grow by " + describe_bytes(need) + ", but only " +
                                    describe_bytes(avail) + " of memory is available (MemAvailable, memory cgroup)");
  }
  [[noreturn]] void fail_allocation(std::size_t need, int err) const {
    throw insufficient_memory(need, available_memory(),
                              "breakeven: allocating " + describe_bytes(need) + " for the shared segment failed: " +
                                  std::system_category().message(err));
  }

  // Grows the segment so that a free extent of `size` bytes exists at its end; returns it.
  extents::iterator grow_locked(std::size_t size) {
    const std::size_t old = size_.load(std::memory_order_relaxed);
    std::size_t tail = 0;
    if (!free_.empty()) {
      auto last = std::prev(free_.end());
      if (last->first + last->second == old) tail = last->second;  // its holes are backed when taken
    }
    const std::size_t need = size - tail;
    std::size_t by = round_up(need, opt_.grow_bytes);
    const std::size_t avail = available_memory();
    if (by > avail || old + by > reserve_) by = need;  // the rounding must not be what fails
    check_memory(by, avail);
    if (old + by > reserve_)
      throw insufficient_memory(need, reserve_ - old,
                                "breakeven: the shared segment would grow to " + describe_bytes(old + need) +
                                    ", past its reserved address range of " + describe_bytes(reserve_));
    if (::ftruncate(fd_.get(), static_cast<off_t>(old + by)) != 0) ipc::throw_errno("ftruncate(shared segment)");
    if (const int e = ::posix_fallocate(fd_.get(), static_cast<off_t>(old), static_cast<off_t>(by)); e != 0) {
      (void)::ftruncate(fd_.get(), static_cast<off_t>(old));
      fail_allocation(by, e);
    }
    void* p = ::mmap(base_ + old, by, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED | MAP_POPULATE, fd_.get(),
                     static_cast<off_t>(old));
    if (p == MAP_FAILED) {
      const int e = errno;
      (void)::ftruncate(fd_.get(), static_cast<off_t>(old));
      ipc::throw_errno("mmap(shared segment)", e);
    }
    size_.store(old + by, std::memory_order_release);
    ++stats_.grows;
    insert(free_, old, by);
    return free_.find(old - tail);
  }

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
