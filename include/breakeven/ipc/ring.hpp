// breakeven/ipc/ring.hpp - a single-producer single-consumer byte ring in memory shared
// between two processes, with futex parking.
//
// The fast path of a worker round trip: a waiting side spins on the other side's position
// for a bounded time (about 0.5 us per hand-over between processes), then parks. A parked
// side sets its `parked` flag, re-checks, and sleeps; the other side, after moving its
// position, clears the flag and wakes it (futex for a worker; for the pool, the caller of
// the ring decides: the pool sleeps in epoll and is woken through the worker's socket).
// Positions are 32-bit counters that wrap; the capacity is a power of two <= 2^30.
#pragma once

#include <breakeven/detail/sys.hpp>
#include <breakeven/ipc/posix.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include <sys/mman.h>
#include <unistd.h>

namespace breakeven::ipc {

// The spin and futex primitives are the library's shared ones (detail/sys.hpp).
using breakeven::detail::cpu_relax;
using breakeven::detail::futex_wait;
using breakeven::detail::futex_wake;
using breakeven::detail::spin_step;

/// The shared control words of one ring; producer and consumer fields on separate lines.
struct ring_control {
  alignas(64) std::atomic<std::uint32_t> head{0};            ///< bytes written (producer)
  std::atomic<std::uint32_t> consumer_parked{0};             ///< consumer sleeps, wants a wake
  alignas(64) std::atomic<std::uint32_t> tail{0};            ///< bytes read (consumer)
  std::atomic<std::uint32_t> producer_parked{0};             ///< producer sleeps, wants a wake
};
static_assert(std::atomic<std::uint32_t>::is_always_lock_free, "shared rings need address-free atomics");

/// One ring: its control words and data, both in a shared mapping.
class ring {
 public:
  ring() noexcept = default;
  ring(ring_control* ctl, std::byte* data, std::uint32_t capacity) noexcept : ctl_(ctl), data_(data), cap_(capacity) {}

  std::uint32_t capacity() const noexcept { return cap_; }
  ring_control& control() const noexcept { return *ctl_; }

  /// Bytes the consumer can read now.
  std::uint32_t readable() const noexcept {
    return ctl_->head.load(std::memory_order_acquire) - ctl_->tail.load(std::memory_order_relaxed);
  }
  /// Bytes the producer can write now.
  std::uint32_t writable() const noexcept {
    return cap_ - (ctl_->head.load(std::memory_order_relaxed) - ctl_->tail.load(std::memory_order_acquire));
  }

  /// Producer: copies as much of `src` as fits; returns the bytes written.
  std::size_t write_some(std::span<const std::byte> src) noexcept {
    const std::uint32_t head = ctl_->head.load(std::memory_order_relaxed);
    const std::uint32_t free = cap_ - (head - ctl_->tail.load(std::memory_order_acquire));
    const std::uint32_t n = static_cast<std::uint32_t>(std::min<std::size_t>(free, src.size()));
    if (n == 0) return 0;
    const std::uint32_t at = head & (cap_ - 1);
    const std::uint32_t first = std::min(n, cap_ - at);
    std::memcpy(data_ + at, src.data(), first);
    std::memcpy(data_, src.data() + first, n - first);
    ctl_->head.store(head + n, std::memory_order_release);
    return n;
  }

  /// Consumer: offers the readable bytes (in up to two pieces) to `take`, which returns how
  /// many it used; returns the total used.
  template <class Take>
  std::size_t read_with(Take&& take) {
    const std::uint32_t tail = ctl_->tail.load(std::memory_order_relaxed);
    const std::uint32_t avail = ctl_->head.load(std::memory_order_acquire) - tail;
    if (avail == 0) return 0;
    const std::uint32_t at = tail & (cap_ - 1);
    const std::uint32_t first = std::min(avail, cap_ - at);
    std::size_t used = take(std::span<const std::byte>(data_ + at, first));
    if (used == first && avail > first) used += take(std::span<const std::byte>(data_, avail - first));
    ctl_->tail.store(tail + static_cast<std::uint32_t>(used), std::memory_order_release);
    return used;
  }

  /// After writing: true (once) when the consumer is parked and must be woken.
  bool consumer_needs_wake() noexcept {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    return ctl_->consumer_parked.load(std::memory_order_relaxed) != 0 &&
           ctl_->consumer_parked.exchange(0, std::memory_order_acq_rel) != 0;
  }
  /// After reading: true (once) when the producer is parked and must be woken.
  bool producer_needs_wake() noexcept {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    return ctl_->producer_parked.load(std::memory_order_relaxed) != 0 &&
           ctl_->producer_parked.exchange(0, std::memory_order_acq_rel) != 0;
  }

  /// Consumer: announces it is about to sleep; false when data arrived meanwhile (do not sleep).
  bool park_consumer() noexcept {
    ctl_->consumer_parked.store(1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (readable() != 0) {
      ctl_->consumer_parked.store(0, std::memory_order_relaxed);
      return false;
    }
    return true;
  }
  /// Producer: announces it is about to sleep until `need` bytes are free; false when they are.
  bool park_producer(std::uint32_t need) noexcept {
    ctl_->producer_parked.store(1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (writable() >= need) {
      ctl_->producer_parked.store(0, std::memory_order_relaxed);
      return false;
    }
    return true;
  }
  void unpark_consumer() noexcept { ctl_->consumer_parked.store(0, std::memory_order_relaxed); }
  void unpark_producer() noexcept { ctl_->producer_parked.store(0, std::memory_order_relaxed); }

 private:
  ring_control* ctl_ = nullptr;
  std::byte* data_ = nullptr;
  std::uint32_t cap_ = 0;
};

/// The memory a pool shares with one worker: a request ring (pool -> worker) and a
/// response ring (worker -> pool), in one memfd mapping that never touches /dev/shm.
class duplex_mapping {
 public:
  struct layout {
    ring_control request;
    ring_control response;
  };
  static constexpr std::size_t header_bytes = 4096;
  static_assert(sizeof(layout) <= header_bytes);

  duplex_mapping() noexcept = default;
  duplex_mapping(duplex_mapping&& o) noexcept
      : base_(std::exchange(o.base_, nullptr)), bytes_(std::exchange(o.bytes_, 0)), cap_(o.cap_) {}
  duplex_mapping& operator=(duplex_mapping&& o) noexcept {
    if (this != &o) {
      unmap();
      base_ = std::exchange(o.base_, nullptr);
      bytes_ = std::exchange(o.bytes_, 0);
      cap_ = o.cap_;
    }
    return *this;
  }
  ~duplex_mapping() { unmap(); }

  /// Rounds a requested ring size to a power of two in [4 KiB, 1 GiB].
  static std::uint32_t round_capacity(std::size_t want) noexcept {
    std::size_t c = 4096;
    while (c < want && c < (std::size_t{1} << 30)) c <<= 1;
    return static_cast<std::uint32_t>(c);
  }

  /// Creates the shared memory (a memfd, returned for the worker) and maps it here.
  static duplex_mapping create(std::uint32_t capacity, unique_fd& memfd_out) {
    unique_fd fd = checked_fd(::memfd_create("breakeven-worker", MFD_CLOEXEC), "memfd_create");
    const std::size_t bytes = header_bytes + 2 * std::size_t{capacity};
    if (::ftruncate(fd.get(), static_cast<off_t>(bytes)) != 0) throw_errno("ftruncate(memfd)");
    duplex_mapping m = attach(fd.get(), capacity);
    new (m.base_) layout{};
    memfd_out = std::move(fd);
    return m;
  }
  /// Maps memory created by create() in another process.
  static duplex_mapping attach(int memfd, std::uint32_t capacity) {
    duplex_mapping m;
    m.bytes_ = header_bytes + 2 * std::size_t{capacity};
    void* p = ::mmap(nullptr, m.bytes_, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
    if (p == MAP_FAILED) throw_errno("mmap(memfd)");
    m.base_ = static_cast<std::byte*>(p);
    m.cap_ = capacity;
    return m;
  }

  ring request() const noexcept {
    return ring(&reinterpret_cast<layout*>(base_)->request, base_ + header_bytes, cap_);
  }
  ring response() const noexcept {
    return ring(&reinterpret_cast<layout*>(base_)->response, base_ + header_bytes + cap_, cap_);
  }
  explicit operator bool() const noexcept { return base_ != nullptr; }

 private:
  void unmap() noexcept {
    if (base_ != nullptr) ::munmap(base_, bytes_);
    base_ = nullptr;
  }
  std::byte* base_ = nullptr;
  std::size_t bytes_ = 0;
  std::uint32_t cap_ = 0;
};

}  // namespace breakeven::ipc
