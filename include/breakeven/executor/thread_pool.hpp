// breakeven/executor/thread_pool.hpp - the thread pool: spinning workers, bulk calls cut by a
// schedule (the caller takes part), and a task queue behind submit().
//
// Dispatch. A bulk call writes a ticket (job, lane) into the mailbox of each worker it
// uses, a cache-line-aligned atomic the idle worker polls; no mutex or condition variable
// is on that path. The caller runs lane 0 itself, then waits for the lanes it handed out.
// A worker that is asleep or busy elsewhere when the caller comes to its lane has the ticket
// taken back, and the caller runs that lane: a bulk call never waits on a worker that is not
// already on its way, so it cannot deadlock on a busy pool (nested calls included).
//
// Spinning. An idle worker polls for `spin_budget` (default 100 us) with a pause per poll,
// then sleeps on a futex (std::atomic::wait). Work that arrives back to back therefore
// never pays the operating system's cross-core wake-up.
//
// Waking. A bulk call wakes a sleeping worker off the caller's CPU: before ringing its bell,
// the caller narrows the worker's CPU mask to the worker's own CPUs less the one the caller
// runs on, and the worker widens it again before it next sleeps. Without this, a scheduler
// that does not count a halted virtual CPU as idle (its host reports it preempted) queues
// the woken worker behind the caller, which is busy with its own lane of the same call: the
// worker starts when the caller stops, and the call runs on one CPU (eight 100 us items on
// two CPUs: 1.0x instead of 1.6x). submit() does not steer: its caller usually waits for
// the future, and the worker is soonest running on the CPU that caller leaves.
#pragma once

#include <breakeven/detail/decl.hpp>
#include <breakeven/executor.hpp>
#include <breakeven/executor/bulk.hpp>
#include <breakeven/executor/spin.hpp>
#include <breakeven/fwd.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <future>
#include <limits>
#include <memory>
#include <mutex>
#include <stop_token>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace breakeven {

/// Counters of one thread pool since it started (read with thread_pool::stats()).
struct thread_pool_stats {
  std::uint64_t tasks = 0;           ///< submit() tasks run (counted as they start)
  std::uint64_t bulk_calls = 0;      ///< bulk_map and bulk_for_each calls
  std::uint64_t chunks = 0;          ///< chunks of bulk calls run, by the callers and the workers
  std::uint64_t handoffs = 0;        ///< tickets of bulk calls taken up by a worker
  std::uint64_t taken_back = 0;      ///< tickets a caller took back from a sleeping or busy worker
  std::uint64_t parks = 0;           ///< times a worker went to sleep after its spin budget
  std::uint64_t wakes = 0;           ///< times a sleeping worker was woken
  std::uint64_t steered = 0;         ///< bulk calls' wakes sent off the caller's CPU ("Waking" above)
};

namespace detail {

inline constexpr std::size_t cache_line = 64;
inline constexpr std::size_t no_failure = std::numeric_limits<std::size_t>::max();

// One bulk call, on the caller's stack. Lanes: static schedules give chunk k to lane
// k % lanes; dynamic schedules let every participant claim the next chunk.
struct bulk_job {
  using lane_fn = std::uint64_t (*)(bulk_job&, unsigned) noexcept;
  lane_fn run_lane;
  std::size_t n;
  std::size_t chunk;
  unsigned lanes;
  bool dynamic;
  alignas(cache_line) std::atomic<std::size_t> next_chunk{0};
  std::atomic<std::size_t> first_failure{no_failure};  // lowest failing index so far
  std::atomic<unsigned> done{0};                        // workers finished with this job
  std::mutex failure_mutex;
  std::exception_ptr failure;
  const std::stop_token* stop = nullptr;                // checked before each chunk is claimed
  std::atomic<bool> abandoned{false};                   // a chunk was skipped because of `stop`

  bulk_job(lane_fn f, std::size_t n_, std::size_t chunk_, unsigned lanes_, bool dynamic_,
           const std::stop_token* stop_ = nullptr) noexcept
      : run_lane(f), n(n_), chunk(chunk_), lanes(lanes_), dynamic(dynamic_), stop(stop_) {}

  // Whether the chunk starting at `begin` may be claimed: it exists, lies before the lowest
  // failure so far, and no stop was requested (a stopped job records that it left work undone).
  bool may_claim(std::size_t begin) noexcept {
    if (begin >= n || begin > first_failure.load(std::memory_order_relaxed)) return false;
    if (stop != nullptr && stop->stop_requested()) {
      abandoned.store(true, std::memory_order_relaxed);
      return false;
    }
    return true;
  }

  // Keeps the exception of the lowest failing index; chunks starting past it are skipped, so
  // the exception reported is the one a sequential run would have thrown.
  void fail(std::size_t i, std::exception_ptr e) noexcept {
    std::lock_guard lock(failure_mutex);
    if (i < first_failure.load(std::memory_order_relaxed)) {
      failure = std::move(e);
      first_failure.store(i, std::memory_order_relaxed);
    }
  }
};

// A bulk job with its item body: body(i) processes item i.
template <class Body>
struct typed_bulk_job : bulk_job {
  const Body& body;
  typed_bulk_job(const Body& b, std::size_t n_, std::size_t chunk_, unsigned lanes_, bool dynamic_,
                 const std::stop_token* stop_ = nullptr) noexcept
      : bulk_job(&lane, n_, chunk_, lanes_, dynamic_, stop_), body(b) {}

  void run_chunk(std::size_t begin) noexcept {
    const std::size_t end = std::min(n, begin + chunk);
    std::size_t i = begin;
    try {
      for (; i < end; ++i) body(i);
    } catch (...) {
      fail(i, std::current_exception());
    }
  }

  // Runs one lane (static) or claims chunks until none is left (dynamic); returns chunks run.
  static std::uint64_t lane(bulk_job& base, unsigned l) noexcept {
    auto& j = static_cast<typed_bulk_job&>(base);
    std::uint64_t ran = 0;
    if (j.dynamic) {
      for (;;) {
        const std::size_t begin = j.next_chunk.fetch_add(1, std::memory_order_relaxed) * j.chunk;
        if (!j.may_claim(begin)) break;
        j.run_chunk(begin);
        ++ran;
      }
    } else {
      for (std::size_t k = l;; k += j.lanes) {
        const std::size_t begin = k * j.chunk;
        if (!j.may_claim(begin)) break;
        j.run_chunk(begin);
        ++ran;
      }
    }
    return ran;
  }
};

struct bulk_ticket {
  bulk_job* job;
  unsigned lane;
};

// One submit() task: a node of the queue's intrusive list.
struct pool_task {
  pool_task* next = nullptr;
  virtual void run() noexcept = 0;
  virtual ~pool_task() = default;
};

template <class Op>
struct submit_task final : pool_task {
  Op op;
  input_t<Op> item;
  std::promise<output_t<Op>> promise;
  submit_task(const Op& o, input_t<Op>&& x) : op(o), item(std::move(x)) {}
  void run() noexcept override { fulfil(promise, std::as_const(op), std::as_const(item)); }
};

// One execute() task: a callable run once.
template <class F>
struct call_task final : pool_task {
  F f;
  explicit call_task(F&& g) : f(std::move(g)) {}
  void run() noexcept override { f(); }
};

// spinning: idle and polling; busy: running work; parked: asleep on its bell; waking: rung
// and not yet running (nobody rings it twice).
enum worker_state : std::uint32_t { spinning, busy, parked, waking };

// What one worker shares with callers: its own cache line, polled while it spins.
struct alignas(cache_line) worker_slot {
  std::atomic<bulk_ticket*> mailbox{nullptr};
  std::atomic<std::uint32_t> state{spinning};
  std::atomic<std::uint32_t> bell{0};  // the futex a parked worker sleeps on
  // Written by the worker only.
  std::atomic<std::uint64_t> tasks{0};
  std::atomic<std::uint64_t> chunks{0};
  std::atomic<std::uint64_t> handoffs{0};
  std::atomic<std::uint64_t> parks{0};
  // Set by the worker as it starts: its thread id and the CPUs it may run on.
  pid_t tid = 0;
  cpu_set_t home{};
  bool steerable = false;                 // home has more than one CPU
  std::atomic<bool> narrowed{false};      // a waker narrowed its mask; it widens it before sleeping
};

// The CPU mask of `tid`, narrowed to `home` less `cpu`.
inline bool narrow_away_from(pid_t tid, const cpu_set_t& home, int cpu) noexcept {
  if (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(static_cast<std::size_t>(cpu), &home)) return false;
  cpu_set_t mask = home;
  CPU_CLR(static_cast<std::size_t>(cpu), &mask);
  return ::sched_setaffinity(tid, sizeof mask, &mask) == 0;
}

// The slot of the pool worker running on this thread (a bulk call from a worker skips it).
inline thread_local const worker_slot* this_worker = nullptr;

template <class Out>
inline constexpr bool packed_bits_v = std::is_same_v<Out, std::vector<bool>::iterator>;

}  // namespace detail

/// A pool of threads for bulk calls and submitted tasks.
///
/// A pool of concurrency N runs bulk calls N ways: N - 1 worker threads and the calling
/// thread, which works on its share rather than waiting idle. (A pool of concurrency 1 keeps
/// one worker so that submit() stays asynchronous; its bulk calls run on the caller.)
/// Workers are started in the constructor (thread_start_ns in the profile is that cost) and
/// joined in the destructor, after the tasks already queued by submit() have run.
class thread_pool {
 public:
  static constexpr executor_kind kind = executor_kind::thread_pool;

  /// Kernels that are thread-safe and do not ask for isolation.
  template <class Op>
  static constexpr bool admits = detail::in_process_admits<Op, true>();

  /// A pool of `threads`-way concurrency (0: std::thread::hardware_concurrency()), whose idle
  /// workers spin for `spin_budget` before they sleep.
  explicit thread_pool(unsigned threads = 0, std::chrono::nanoseconds spin_budget = default_spin_budget);

  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;

  /// Runs every task already submitted to completion, then joins the workers. No bulk call
  /// may be in progress.
  ~thread_pool() { shut_down(); }

  /// N: the bulk calls' parallelism (worker threads plus the caller).
  unsigned concurrency() const noexcept { return concurrency_; }

  /// The worker threads (N - 1, at least 1).
  unsigned worker_threads() const noexcept { return workers_; }

  /// Whether bulk calls wake a sleeping worker off the caller's CPU (on by default; see "Waking" in
  /// this header). Off, the operating system places the woken worker where it likes. Set
  /// before the pool is shared with other threads.
  void steer_wakes(bool on) noexcept { steer_ = on; }

  /// How long an idle worker spins before it sleeps.
  std::chrono::nanoseconds spin_budget() const noexcept { return spin_budget_; }

  /// True when no worker is asleep: a call now pays no wake-up (the decision's wake term).
  bool spinning() const noexcept {
    for (unsigned w = 0; w < workers_; ++w)
      if (slots_[w].state.load(std::memory_order_relaxed) >= detail::parked) return false;
    return true;
  }

  /// Workers idle and polling for work at this moment.
  unsigned spinning_workers() const noexcept {
    unsigned count = 0;
    for (unsigned w = 0; w < workers_; ++w)
      count += slots_[w].state.load(std::memory_order_relaxed) == detail::spinning;
    return count;
  }

  /// The pool's counters so far.
  thread_pool_stats stats() const noexcept {
    thread_pool_stats s;
    for (unsigned w = 0; w < workers_; ++w) {
      s.tasks += slots_[w].tasks.load(std::memory_order_relaxed);
      s.chunks += slots_[w].chunks.load(std::memory_order_relaxed);
      s.handoffs += slots_[w].handoffs.load(std::memory_order_relaxed);
      s.parks += slots_[w].parks.load(std::memory_order_relaxed);
    }
    s.bulk_calls = bulk_calls_.load(std::memory_order_relaxed);
    s.chunks += caller_chunks_.load(std::memory_order_relaxed);
    s.taken_back = taken_back_.load(std::memory_order_relaxed);
    s.wakes = wakes_.load(std::memory_order_relaxed);
    s.steered = steered_.load(std::memory_order_relaxed);
    return s;
  }

  /// out[i] = op(in[i]) for every i, cut into chunks by `s`: a static split (chunk k to lane
  /// k % lanes) or, with s.dynamic, chunks claimed one at a time. s.chunk 0 means
  /// ceil(n / lanes) static, ceil(n / (4 x lanes)) dynamic; s.workers caps the lanes
  /// (0: concurrency()). An exception stops the handing out of chunks after it; chunks in
  /// flight finish; the exception of the lowest failing index is rethrown with its type.
  template <class Op, class In, class Out>
  void bulk_map(const Op& op, In&& in, Out out, const schedule& s = {}) {
    static_assert(!detail::packed_bits_v<Out>,
                  "breakeven: std::vector<bool> packs items into shared words: parallel writes would race");
    if constexpr (detail::check_bulk_map<Op, In, Out>() && detail::check_in_process<Op, true>()) {
      run_bulk(static_cast<std::size_t>(std::ranges::size(in)), s, detail::map_item(op, in, out));
    }
  }

  /// bulk_map that stops handing out chunks once `stop` is requested: chunks in flight
  /// finish, the others are skipped. Returns true when every item ran.
  template <class Op, class In, class Out>
  bool bulk_map(const Op& op, In&& in, Out out, const schedule& s, std::stop_token stop) {
    static_assert(!detail::packed_bits_v<Out>,
                  "breakeven: std::vector<bool> packs items into shared words: parallel writes would race");
    if constexpr (detail::check_bulk_map<Op, In, Out>() && detail::check_in_process<Op, true>()) {
      return run_bulk(static_cast<std::size_t>(std::ranges::size(in)), s, detail::map_item(op, in, out), &stop);
    }
    return false;
  }

  /// op(in[i]) for every i, cut into chunks as bulk_map does, for void kernels.
  template <class Op, class In>
  void bulk_for_each(const Op& op, In&& in, const schedule& s = {}) {
    if constexpr (detail::check_bulk_input<Op, In>() && detail::check_in_process<Op, true>()) {
      run_bulk(static_cast<std::size_t>(std::ranges::size(in)), s, detail::for_each_item(op, in));
    }
  }

  /// bulk_for_each that stops handing out chunks once `stop` is requested, as bulk_map does.
  template <class Op, class In>
  bool bulk_for_each(const Op& op, In&& in, const schedule& s, std::stop_token stop) {
    if constexpr (detail::check_bulk_input<Op, In>() && detail::check_in_process<Op, true>()) {
      return run_bulk(static_cast<std::size_t>(std::ranges::size(in)), s, detail::for_each_item(op, in), &stop);
    }
    return false;
  }

  /// Queues op(x) for a worker (op and x are copied) and returns its future: the value, or
  /// the exception it threw with its type. Safe to call from any thread, workers included;
  /// a task must not block on another task's future (the pool may have no worker left).
  template <class Op>
  std::future<output_t<Op>> submit(const Op& op, input_t<Op> x) {
    if constexpr (detail::check_in_process<Op, true>()) {
      auto task = std::make_unique<detail::submit_task<Op>>(op, std::move(x));
      auto future = task->promise.get_future();
      enqueue(task.release());
      return future;
    } else {
      return {};
    }
  }

  /// Queues `f()` (a callable, moved in) for a worker, as submit() queues a kernel: the hook
  /// by which asynchronous operations run on the pool without a future. `f` must not throw.
  template <class F>
  void execute(F&& f) {
    enqueue(new detail::call_task<std::decay_t<F>>(std::forward<F>(f)));
  }

 private:
  // Runs a bulk call; returns false when `stop` skipped some of its items.
  template <class Body>
  bool run_bulk(std::size_t n, const schedule& s, const Body& body, const std::stop_token* stop = nullptr) {
    if (n == 0) return true;
    bulk_calls_.fetch_add(1, std::memory_order_relaxed);
    const unsigned want = s.workers == 0 ? concurrency_ : std::min(s.workers, concurrency_);
    const std::size_t chunk = s.chunk != 0 ? std::min(s.chunk, n) : ceil_div(n, s.dynamic ? 4 * std::size_t{want} : want);
    const std::size_t chunks = ceil_div(n, chunk);
    const auto lanes = static_cast<unsigned>(std::min<std::size_t>(want, chunks));
    if (lanes <= 1 && stop == nullptr) {  // the caller alone: in order, so the first exception is the lowest
      caller_chunks_.fetch_add(chunks, std::memory_order_relaxed);
      for (std::size_t i = 0; i < n; ++i) body(i);
      return true;
    }
    if (lanes <= 1) {  // the same, looking at `stop` before each chunk
      for (std::size_t begin = 0; begin < n; begin += chunk) {
        if (stop->stop_requested()) return false;
        caller_chunks_.fetch_add(1, std::memory_order_relaxed);
        for (std::size_t i = begin; i < std::min(n, begin + chunk); ++i) body(i);
      }
      return true;
    }

    detail::typed_bulk_job<Body> job(body, n, chunk, lanes, s.dynamic, stop);
    constexpr unsigned inline_tickets = 15;
    detail::bulk_ticket local[inline_tickets];
    unsigned local_slot[inline_tickets];
    std::unique_ptr<detail::bulk_ticket[]> heap;
    std::unique_ptr<unsigned[]> heap_slot;
    detail::bulk_ticket* tickets = local;
    unsigned* slot_of = local_slot;
    if (lanes - 1 > inline_tickets) {
      heap = std::make_unique<detail::bulk_ticket[]>(lanes - 1);
      heap_slot = std::make_unique<unsigned[]>(lanes - 1);
      tickets = heap.get();
      slot_of = heap_slot.get();
    }
    const unsigned posted = post(job, lanes, tickets, slot_of);

    // Lane 0, and the lanes no worker was free to take.
    std::uint64_t ran = job.run_lane(job, 0);
    for (unsigned l = posted + 1; l < lanes; ++l) ran += job.run_lane(job, l);

    // Each ticket is taken up by its worker, or taken back: a worker that is asleep or busy
    // is not waited for, and once a dynamic job's chunks are all handed out none is.
    // A spinning worker is waited for, up to the spin budget (it may have lost its core).
    unsigned taken = 0;
    detail::spin_timer patience(spin_budget_);
    bool out_of_patience = false;
    for (unsigned t = 0; t < posted; ++t) {
      detail::worker_slot& slot = slots_[slot_of[t]];
      for (;;) {
        if (slot.mailbox.load(std::memory_order_acquire) != &tickets[t]) {
          ++taken;
          break;
        }
        if (job.dynamic || out_of_patience || slot.state.load(std::memory_order_relaxed) != detail::spinning) {
          detail::bulk_ticket* expected = &tickets[t];
          if (slot.mailbox.compare_exchange_strong(expected, nullptr, std::memory_order_acq_rel)) {
            if (!job.dynamic) taken_back_.fetch_add(1, std::memory_order_relaxed);
            ran += job.run_lane(job, tickets[t].lane);
          } else {
            ++taken;
          }
          break;
        }
        out_of_patience = patience.poll();
      }
    }
    if (taken != 0) wait_done(job, taken);
    caller_chunks_.fetch_add(ran, std::memory_order_relaxed);
    if (job.first_failure.load(std::memory_order_relaxed) != detail::no_failure)
      std::rethrow_exception(job.failure);
    return !job.abandoned.load(std::memory_order_relaxed);
  }

  // Hands lanes 1.. to workers, spinning ones first; returns the tickets posted.
  unsigned post(detail::bulk_job& job, unsigned lanes, detail::bulk_ticket* tickets, unsigned* slot_of) {
    unsigned posted = 0;
    for (int pass = 0; pass < 2 && posted + 1 < lanes; ++pass) {
      for (unsigned w = 0; w < workers_ && posted + 1 < lanes; ++w) {
        detail::worker_slot& slot = slots_[w];
        if (&slot == detail::this_worker) continue;
        if (pass == 0 && slot.state.load(std::memory_order_relaxed) != detail::spinning) continue;
        if (slot.mailbox.load(std::memory_order_relaxed) != nullptr) continue;
        if (std::find(slot_of, slot_of + posted, w) != slot_of + posted) continue;  // one lane each
        tickets[posted] = {&job, posted + 1};
        detail::bulk_ticket* expected = nullptr;
        if (!slot.mailbox.compare_exchange_strong(expected, &tickets[posted], std::memory_order_seq_cst)) continue;
        wake(slot);
        slot_of[posted++] = w;
      }
    }
    return posted;
  }

  // Spins, then sleeps, until `taken` workers have finished with `job`.
  void wait_done(detail::bulk_job& job, unsigned taken) {
    detail::spin_timer timer(spin_budget_);
    while (job.done.load(std::memory_order_acquire) != taken) {
      if (!timer.poll()) continue;
      done_waiters_.fetch_add(1, std::memory_order_seq_cst);
      for (;;) {
        const std::uint32_t epoch = done_epoch_.load(std::memory_order_seq_cst);
        if (job.done.load(std::memory_order_seq_cst) == taken) break;
        done_epoch_.wait(epoch, std::memory_order_seq_cst);
      }
      done_waiters_.fetch_sub(1, std::memory_order_relaxed);
    }
  }

  // Rings a parked worker's bell for a bulk call's lane, once (a worker already rung is on
  // its way), off this thread's CPU: the caller goes on with its own lane.
  void wake(detail::worker_slot& slot) noexcept {
    std::uint32_t expected = detail::parked;
    if (!slot.state.compare_exchange_strong(expected, detail::waking, std::memory_order_seq_cst)) return;
    if (steer_ && slot.steerable && detail::narrow_away_from(slot.tid, slot.home, ::sched_getcpu())) {
      slot.narrowed.store(true, std::memory_order_relaxed);
      steered_.fetch_add(1, std::memory_order_relaxed);
    }
    ring(slot);
  }

  void ring(detail::worker_slot& slot) noexcept {
    slot.bell.fetch_add(1, std::memory_order_seq_cst);
    slot.bell.notify_one();
    wakes_.fetch_add(1, std::memory_order_relaxed);
  }

  void enqueue(detail::pool_task* task) {
    {
      std::lock_guard lock(queue_mutex_);
      if (tail_ != nullptr) tail_->next = task;
      else head_ = task;
      tail_ = task;
      queued_.fetch_add(1, std::memory_order_seq_cst);
    }
    notify_queue();
  }

  detail::pool_task* pop() noexcept {
    std::lock_guard lock(queue_mutex_);
    detail::pool_task* task = head_;
    if (task == nullptr) return nullptr;
    head_ = task->next;
    if (head_ == nullptr) tail_ = nullptr;
    queued_.fetch_sub(1, std::memory_order_seq_cst);
    return task;
  }

  // Queued work and no worker polling or on its way: wake one sleeping worker.
  void notify_queue() noexcept {
    for (unsigned w = 0; w < workers_; ++w) {
      const auto st = slots_[w].state.load(std::memory_order_seq_cst);
      if (st == detail::spinning || st == detail::waking) return;
    }
    for (unsigned w = 0; w < workers_; ++w) {
      std::uint32_t st = detail::parked;
      if (slots_[w].state.compare_exchange_strong(st, detail::waking, std::memory_order_seq_cst)) {
        ring(slots_[w]);
        return;
      }
      if (st == detail::spinning || st == detail::waking) return;
    }
  }

  void work(detail::worker_slot& slot) noexcept;

  // Sleeps until rung, unless work or the stop request arrived meanwhile. Either the
  // re-check below sees what a caller posted, or the caller sees `parked` and wakes it.
  void park(detail::worker_slot& slot) noexcept;

  void shut_down() noexcept;

  static std::size_t ceil_div(std::size_t a, std::size_t b) noexcept { return (a + b - 1) / b; }

  unsigned concurrency_;
  unsigned workers_;
  std::chrono::nanoseconds spin_budget_;
  std::unique_ptr<detail::worker_slot[]> slots_;
  std::vector<std::thread> threads_;

  alignas(detail::cache_line) std::atomic<std::uint32_t> queued_{0};
  std::atomic<bool> stop_{false};
  alignas(detail::cache_line) std::mutex queue_mutex_;
  detail::pool_task* head_ = nullptr;
  detail::pool_task* tail_ = nullptr;
  alignas(detail::cache_line) std::atomic<std::uint32_t> done_epoch_{0};
  std::atomic<std::uint32_t> done_waiters_{0};
  alignas(detail::cache_line) std::atomic<std::uint64_t> bulk_calls_{0};
  std::atomic<std::uint64_t> caller_chunks_{0};
  std::atomic<std::uint64_t> taken_back_{0};
  std::atomic<std::uint64_t> wakes_{0};
  std::atomic<std::uint64_t> steered_{0};
  bool steer_ = true;
};

static_assert(stoppable_executor<thread_pool>);

}  // namespace breakeven

#if !defined(BREAKEVEN_SEPARATE_COMPILATION)
#include <breakeven/executor/impl/thread_pool.ipp>
#endif
