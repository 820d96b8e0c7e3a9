// calibrate/rigs.hpp - the direct primitives calibration measures with: worker threads
// that spin or park on a futex between tasks, worker processes forked and fed over
// socketpairs, and shared segments. They are made of the library's own primitives (its
// futex and spin steps, its socket pairs and owned descriptors, the shared-memory pool's
// segment), cut down to the one path each profile term prices; calibration can measure
// through the real executors instead by giving calibrate() rigs of the same shape.
// Part of breakeven-calibrate (tools/), not of the installed headers.
#pragma once

#include "sampling.hpp"

#include <breakeven/detail/sys.hpp>
#include <breakeven/ipc/posix.hpp>
#include <breakeven/shm/arena.hpp>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace breakeven::calibration {
namespace detail {

using breakeven::detail::cpu_relax;
using breakeven::detail::futex_scope;
using breakeven::detail::spin_step;
using breakeven::detail::throw_errno;

// The rigs' threads share one process: private futexes, as std::atomic::wait uses.
inline void futex_wait(std::atomic<std::uint32_t>& a, std::uint32_t expected) noexcept {
  breakeven::detail::futex_wait(&a, expected, -1, futex_scope::process_private);
}
inline void futex_wake(std::atomic<std::uint32_t>& a, int count) noexcept {
  breakeven::detail::futex_wake(&a, count, futex_scope::process_private);
}

/// Spins until `ready()`; after ~50 us of spinning it yields between checks, so a waiter
/// that shares its core with the one it waits for (a loaded machine) does not hold the core
/// for a whole time slice. A hand-off between two cores never gets that far.
template <class Ready>
inline void spin_until(Ready ready) noexcept {
  for (unsigned n = 0; !ready(); ++n) {
    if (n < 1024) cpu_relax();
    else sched_yield();
  }
}

}  // namespace detail

/// Worker threads that run one task each per call, either spinning between calls (a pool
/// whose work arrives back to back) or parked on a futex (a pool that has gone idle).
class thread_rig {
 public:
  enum class idle : std::uint8_t { spin, park };

  thread_rig(unsigned workers, idle mode) : mode_(mode) {
    threads_.reserve(workers);
    for (unsigned i = 0; i < workers; ++i) threads_.emplace_back([this, i] { loop(i); });
  }
  thread_rig(const thread_rig&) = delete;
  thread_rig& operator=(const thread_rig&) = delete;
  ~thread_rig() {
    stop_.store(true, std::memory_order_relaxed);
    go_.fetch_add(1, std::memory_order_release);
    detail::futex_wake(go_, static_cast<int>(threads_.size()));
    for (auto& t : threads_) t.join();
  }

  unsigned workers() const noexcept { return static_cast<unsigned>(threads_.size()); }

  /// Runs `task(i)` once on every worker i; returns when all have. The caller waits the
  /// way the workers idle: spinning, or parked on a futex until the last worker wakes it.
  template <class F>
  void run_all(F& task) {
    post(task, 0);
    wait();
  }

  /// Runs `task(0)` on the calling thread and `task(i + 1)` on every worker i: the caller
  /// works beside the workers (with `cores - 1` spinning workers, every core runs a task).
  template <class F>
  void run_all_and_self(F& task) {
    post(task, 1);
    task(0u);
    wait();
  }

  /// Runs an empty task on every worker.
  void run_empty() {
    auto nothing = [](unsigned) {};
    run_all(nothing);
  }

 private:
  template <class F>
  void post(F& task, unsigned offset) {
    fn_ = [](void* ctx, unsigned i) { (*static_cast<F*>(ctx))(i); };
    ctx_ = &task;
    offset_ = offset;
    target_ = done_.load(std::memory_order_relaxed) + workers();
    go_.fetch_add(1, std::memory_order_release);
    if (mode_ == idle::park) detail::futex_wake(go_, static_cast<int>(workers()));
  }
  void wait() {
    const std::uint32_t target = target_;
    if (mode_ == idle::park) {
      std::uint32_t d;
      while ((d = done_.load(std::memory_order_acquire)) != target) detail::futex_wait(done_, d);
    } else {
      detail::spin_until([&] { return done_.load(std::memory_order_acquire) == target; });
    }
  }

  void loop(unsigned i) {
    std::uint32_t seen = 0;
    for (;;) {
      std::uint32_t g;
      if (mode_ == idle::park) {
        while ((g = go_.load(std::memory_order_acquire)) == seen) detail::futex_wait(go_, seen);
      } else {
        detail::spin_until([&] { return (g = go_.load(std::memory_order_acquire)) != seen; });
      }
      seen = g;
      if (stop_.load(std::memory_order_relaxed)) return;
      fn_(ctx_, i + offset_);
      const std::uint32_t before = done_.fetch_add(1, std::memory_order_acq_rel);
      // The last worker of a parked call wakes the caller.
      if (mode_ == idle::park && (before + 1) % workers() == 0) detail::futex_wake(done_, 1);
    }
  }

  idle mode_;
  std::vector<std::thread> threads_;
  alignas(64) std::atomic<std::uint32_t> go_{0};
  alignas(64) std::atomic<std::uint32_t> done_{0};
  alignas(64) void (*fn_)(void*, unsigned) = nullptr;
  void* ctx_ = nullptr;
  unsigned offset_ = 0;
  std::uint32_t target_ = 0;
  std::atomic<bool> stop_{false};
};

/// Worker processes, forked and each fed over its own socketpair: a small message echoes
/// back (a round trip), a stream of bytes is consumed and acknowledged (bytes per second).
/// Between messages both sides either poll their socket (spin: a pool whose work arrives
/// back to back) or block in the kernel (park: an idle pool).
/// The destructor closes the sockets and reaps every worker: no zombies, no leaked fds.
class process_rig {
 public:
  using idle = thread_rig::idle;
  /// A function of one item the workers can apply (op `map`); it runs after fork(), so it
  /// must be async-signal-safe (pure computation is).
  using item_fn = std::uint64_t (*)(std::uint64_t) noexcept;
  static constexpr std::size_t max_map_items = 8192;

  explicit process_rig(unsigned workers, idle mode = idle::park, item_fn fn = nullptr) : mode_(mode), fn_(fn) {
    fds_.reserve(workers);
    pids_.reserve(workers);
    try {
      for (unsigned i = 0; i < workers; ++i) spawn();
      for (const ipc::unique_fd& fd : fds_) {  // each worker says it is running
        char c;
        if (!move_all(fd.get(), &c, 1, false, false))
          throw std::runtime_error("calibration: a worker process did not start");
      }
    } catch (...) {
      shutdown();
      throw;
    }
  }
  process_rig(const process_rig&) = delete;
  process_rig& operator=(const process_rig&) = delete;
  ~process_rig() { shutdown(); }

  unsigned workers() const noexcept { return static_cast<unsigned>(fds_.size()); }

  /// One small message to worker `w` and its echo back.
  void echo(unsigned w) {
    header h{op_echo, 0};
    send_all(fds_[w].get(), &h, sizeof h);
    recv_all(fds_[w].get(), &h, sizeof h);
  }

  /// A small message to every worker, then every echo (one call of a pool on all workers).
  void echo_all() {
    header h{op_echo, 0};
    for (const ipc::unique_fd& fd : fds_) send_all(fd.get(), &h, sizeof h);
    for (const ipc::unique_fd& fd : fds_) recv_all(fd.get(), &h, sizeof h);
  }

  /// Sends `n` items to worker `w`, which applies the rig's function to each; collect the
  /// results with map_receive (send to every worker first, then collect: they run at once).
  /// At most max_map_items a call: the request and its results fit the sockets' buffers.
  void map_send(unsigned w, const std::uint64_t* in, std::size_t n) {
    if (n > max_map_items) throw std::length_error("calibration: map_send of more than 8192 items");
    header h{op_map, n * sizeof(std::uint64_t)};
    send_all(fds_[w].get(), &h, sizeof h);
    send_all(fds_[w].get(), in, h.bytes);
  }
  /// The `n` results of the last map_send to worker `w`.
  void map_receive(unsigned w, std::uint64_t* out, std::size_t n) { recv_all(fds_[w].get(), out, n * sizeof(std::uint64_t)); }

  /// `bytes` bytes streamed to worker `w`, which reads them all and acknowledges.
  void sink(unsigned w, const char* data, std::size_t bytes) {
    header h{op_sink, bytes};
    send_all(fds_[w].get(), &h, sizeof h);
    send_all(fds_[w].get(), data, bytes);
    recv_all(fds_[w].get(), &h, sizeof h);
  }

 private:
  enum : std::uint64_t { op_exit = 0, op_echo = 1, op_sink = 2, op_map = 3 };
  struct header {
    std::uint64_t op;
    std::uint64_t bytes;
  };

  // One send or receive; spinning sides poll (MSG_DONTWAIT) instead of blocking. Returns
  // the bytes moved, 0 at end of stream, -1 on error. Async-signal-safe: workers use it.
  static ssize_t move(int fd, char* p, std::size_t n, bool out, bool spin) noexcept {
    for (unsigned polls = 0;;) {
      const int flags = MSG_NOSIGNAL | (spin ? MSG_DONTWAIT : 0);
      const ssize_t k = out ? ::send(fd, p, n, flags) : ::recv(fd, p, n, flags);
      if (k >= 0) return k;
      if (errno == EINTR) continue;
      if (spin && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        detail::spin_step(polls);  // the pools' own spin step: a pause, at times a yield
        continue;
      }
      return -1;
    }
  }
  static bool move_all(int fd, char* p, std::size_t n, bool out, bool spin) noexcept {
    while (n > 0) {
      const ssize_t k = move(fd, p, n, out, spin);
      if (k <= 0) return false;
      p += k;
      n -= static_cast<std::size_t>(k);
    }
    return true;
  }
  void send_all(int fd, const void* p, std::size_t n) const {
    if (!move_all(fd, const_cast<char*>(static_cast<const char*>(p)), n, true, mode_ == idle::spin))
      detail::throw_errno("calibration: send to a worker process");
  }
  void recv_all(int fd, void* p, std::size_t n) const {
    if (!move_all(fd, static_cast<char*>(p), n, false, mode_ == idle::spin))
      throw std::runtime_error("calibration: a worker process stopped answering");
  }

  // The worker: only recv, send, close and _exit after fork (async-signal-safe), so forking
  // from a program that runs threads is safe.
  [[noreturn]] static void worker(int fd, bool spin, item_fn fn) noexcept {
    char ready = 'r';
    if (!move_all(fd, &ready, 1, true, false)) _exit(1);
    alignas(8) char buf[1 << 16];
    for (;;) {
      header h{};
      if (!move_all(fd, reinterpret_cast<char*>(&h), sizeof h, false, spin)) _exit(0);  // parent closed: done
      if (h.op == op_exit) _exit(0);
      if (h.op == op_map) {  // items in, results out, through the buffer in slices
        std::uint64_t* items = reinterpret_cast<std::uint64_t*>(buf);
        for (std::size_t left = h.bytes; left > 0;) {
          const std::size_t part = left < sizeof buf ? left : sizeof buf;
          if (!move_all(fd, buf, part, false, spin)) _exit(0);
          for (std::size_t i = 0; i < part / sizeof(std::uint64_t); ++i) items[i] = fn ? fn(items[i]) : items[i];
          if (!move_all(fd, buf, part, true, spin)) _exit(0);
          left -= part;
        }
        continue;
      }
      for (std::size_t left = h.op == op_sink ? h.bytes : 0; left > 0;) {
        const ssize_t k = move(fd, buf, left < sizeof buf ? left : sizeof buf, false, spin);
        if (k <= 0) _exit(0);
        left -= static_cast<std::size_t>(k);
      }
      if (!move_all(fd, reinterpret_cast<char*>(&h), sizeof h, true, spin)) _exit(0);
    }
  }

  void spawn() {
    auto [parent, child] = ipc::socket_pair(SOCK_STREAM);  // the library's: close-on-exec, owned
    const pid_t pid = ::fork();
    if (pid < 0) detail::throw_errno("calibration: fork");
    if (pid == 0) {
      // Only close and _exit from here on (async-signal-safe); no destructor runs.
      ::close(parent.get());
      for (const ipc::unique_fd& fd : fds_) ::close(fd.get());  // earlier workers' parent ends: their EOF must not wait on us
      worker(child.get(), mode_ == idle::spin, fn_);
    }
    fds_.push_back(std::move(parent));
    pids_.push_back(pid);
  }

  void shutdown() noexcept {
    fds_.clear();  // each worker reads end of stream and exits
    for (pid_t pid : pids_) {
      int status = 0;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
    }
    pids_.clear();
  }

  idle mode_;
  item_fn fn_;
  std::vector<ipc::unique_fd> fds_;
  std::vector<pid_t> pids_;
};

/// A shared segment made as the shared-memory pool makes its own (shm::arena: an anonymous
/// memfd, its address range reserved up front, grown with its pages allocated and mapped at
/// once). Construction makes the empty segment (the set-up term); allocate() grows it by
/// `bytes`, which is what a call needing new segment memory pays per page.
class shm_segment {
 public:
  explicit shm_segment(std::size_t bytes)
      : bytes_(bytes), arena_(shm::arena_options{.retain_bytes = bytes, .reserve_bytes = bytes, .grow_bytes = bytes}) {}
  shm_segment(const shm_segment&) = delete;
  shm_segment& operator=(const shm_segment&) = delete;

  /// Grows the segment by its size and returns where the new pages are (once).
  char* allocate() {
    if (!block_) block_ = arena_.allocate(bytes_);
    return data();
  }
  /// The segment's memory (nullptr before allocate()).
  char* data() const noexcept { return block_ ? reinterpret_cast<char*>(arena_.at(block_.offset)) : nullptr; }
  std::size_t size() const noexcept { return bytes_; }
  /// The segment's descriptor (what a worker would receive).
  int fd() const noexcept { return arena_.fd(); }

 private:
  std::size_t bytes_;
  shm::arena arena_;
  shm::block block_{};
};

}  // namespace breakeven::calibration
