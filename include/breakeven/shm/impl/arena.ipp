// breakeven/shm/impl/arena.ipp - the definitions of arena.hpp.
// Included by its header, inline; with BREAKEVEN_SEPARATE_COMPILATION, compiled once
// through <breakeven/impl/src.hpp>.
#pragma once

#include <breakeven/shm/arena.hpp>

namespace breakeven::shm {

BREAKEVEN_DECL arena::arena(const arena_options& o)
    : opt_(o), page_(static_cast<std::size_t>(::sysconf(_SC_PAGESIZE))) {
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

BREAKEVEN_DECL block arena::allocate(std::size_t bytes) {
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

BREAKEVEN_DECL void arena::reserve(std::size_t bytes) {
  std::lock_guard lock(mu_);
  for (const auto& [off, len] : free_)
    if (len >= bytes) return;
  (void)grow_locked(round_up(std::max<std::size_t>(bytes, 1), page_));
}

BREAKEVEN_DECL void arena::release(block b) noexcept {
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

BREAKEVEN_DECL void arena::trim() noexcept {
  std::lock_guard lock(mu_);
  for (const auto& [off, len] : free_) punch(off, len);
  ++stats_.trims;
}

BREAKEVEN_DECL void arena::insert(extents& e, std::size_t off, std::size_t len) {
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

BREAKEVEN_DECL void arena::punch(std::size_t off, std::size_t len) noexcept {
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

BREAKEVEN_DECL bool arena::back_locked(const block& b) {
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

BREAKEVEN_DECL void arena::check_memory(std::size_t need, std::size_t avail) {
  if (need > avail)
    throw insufficient_memory(need, avail,
                              "breakeven: the shared segment must grow by " + describe_bytes(need) + ", but only " +
                                  describe_bytes(avail) + " of memory is available (MemAvailable, memory cgroup)");
}

BREAKEVEN_DECL arena::extents::iterator arena::grow_locked(std::size_t size) {
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

}  // namespace breakeven::shm
