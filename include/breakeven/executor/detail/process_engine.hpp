// breakeven/executor/detail/process_engine.hpp - the untyped machinery of process_pool:
// worker processes, their rings, the reactor thread that collects results and deaths, and
// the rules that make every task end in exactly one value or one error.
//
// Threads: any thread submits; a submitted task goes straight into an idle worker's ring
// (the most recently idle one, which is likely still spinning) or waits in a queue. One
// reactor thread per pool reads every response ring, completes tasks, hands queued tasks
// to workers as they free up, enforces timeouts and replaces workers that end. While
// tasks are in flight it spins on the rings for the spin budget; otherwise it sleeps in
// epoll on the workers' sockets (a worker writes one byte there when the reactor sleeps),
// the fork server's connection (exit notices) or pidfds (spawned workers), and an eventfd.
#pragma once

#include <breakeven/detail/decl.hpp>
#include <breakeven/ipc/entry.hpp>
#include <breakeven/ipc/errors.hpp>
#include <breakeven/ipc/exceptions.hpp>
#include <breakeven/ipc/fork_server.hpp>
#include <breakeven/ipc/frame.hpp>
#include <breakeven/ipc/ring.hpp>
#include <breakeven/ipc/runtime.hpp>
#include <breakeven/ipc/worker.hpp>
#include <breakeven/limits.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

namespace breakeven {

/// A function run once in every worker before its first task (Python's `initializer`,
/// `initargs`): make one with make_initializer<&fn>(args...).
struct worker_initializer {
  std::uint64_t hash = 0;
  std::uint64_t address = 0;
  std::vector<std::byte> args;
  explicit operator bool() const noexcept { return hash != 0; }
};

/// An initializer calling `Fn(args...)` in each worker; `Fn` returns void or an int status
/// (nonzero fails the worker), its parameters are transportable.
template <auto Fn, class... Args>
worker_initializer make_initializer(const Args&... args) {
  ipc::start_message m = ipc::start_message::make<Fn>(args...);
  worker_initializer init;
  init.hash = ipc::function_entry<Fn>::reg.hash;
  init.address = ipc::function_entry<Fn>::reg.address();
  init.args.assign(m.bytes.begin() + 2 * sizeof(std::uint64_t), m.bytes.end());
  if (!m.fds.empty()) throw std::invalid_argument("breakeven: an initializer's arguments cannot carry descriptors");
  return init;
}

/// How a process_pool is made.
struct process_pool_options {
  unsigned workers = 0;                               ///< 0: the machine's hardware threads
  start_method method = start_method::fork_server;    ///< how workers are started
  std::uint64_t max_tasks_per_child = 0;              ///< replace a worker after this many tasks (0: never)
  std::chrono::milliseconds task_timeout{0};          ///< kill a worker whose task runs longer (0: no limit)
  worker_initializer initializer{};                   ///< run once in every worker
  std::size_t ring_bytes = breakeven::limits::process_ring_bytes;  ///< each direction's shared ring per worker
  std::chrono::microseconds spin{50};                 ///< how long a waiting side spins before it sleeps
  unsigned prefetch = 1;  ///< tasks a worker holds queued behind the one it runs (low-variance kernels)
  /// In a pool with a worker per CPU or more, each worker stays on one CPU (of those this
  /// process may use): woken together, workers otherwise often share a CPU for milliseconds.
  /// Set false for kernels that run threads of their own.
  bool pin_workers = true;
  std::size_t max_frame_bytes = ipc::default_max_payload;  ///< the largest result a worker may send
  /// Descriptors every worker receives at its start, replacements included (borrowed: they
  /// must stay open while the pool lives); in the worker, ipc::worker_descriptor(i) gives
  /// the i-th. The shared-memory executor passes its segment this way.
  std::vector<int> worker_fds{};
};

/// What a pool has done so far.
struct process_pool_stats {
  std::uint64_t tasks_completed = 0;   ///< ended in a value
  std::uint64_t tasks_failed = 0;      ///< ended in an error (exception, death, timeout, shutdown)
  std::uint64_t workers_started = 0;   ///< worker processes started, replacements included
  std::uint64_t workers_lost = 0;      ///< workers that ended unasked (signal, exit, timeout kill)
  std::uint64_t workers_recycled = 0;  ///< workers that ended after max_tasks_per_child
  std::uint64_t timeouts = 0;          ///< tasks killed by their timeout
  std::uint64_t tasks_requeued = 0;    ///< tasks sent again: queued in a worker that died before starting them
};

namespace detail {

/// One task as the engine sees it: an encoded request and what to do with the answer.
class process_task {
 public:
  virtual ~process_task() = default;
  /// The result payload arrived: decode it, without making it visible yet. May throw
  /// (then fail() follows). Runs on whichever thread reads the worker's ring.
  virtual void complete(ipc::reader& payload) = 0;
  /// Makes the decoded value visible (sets the future, marks the chunk done). The pool's
  /// statistics already count the task when this runs.
  virtual void publish() noexcept = 0;
  /// The task failed; called at most once, instead of publish().
  virtual void fail(std::exception_ptr e) noexcept = 0;

  std::vector<std::byte> request;         ///< the whole task frame
  std::uint64_t id = 0;
  std::chrono::milliseconds timeout{0};   ///< 0: the pool's
  std::string_view kernel_name;           ///< for errors about the kernel (static storage)
  bool steady = false;                    ///< low variance: may queue in a worker behind another
};
using task_ptr = std::unique_ptr<process_task>;

class process_engine {
 public:
  explicit process_engine(const process_pool_options& o);

  process_engine(const process_engine&) = delete;
  process_engine& operator=(const process_engine&) = delete;
  ~process_engine() { shutdown(); }

  unsigned workers() const noexcept { return opt_.workers; }
  start_method method() const noexcept { return opt_.method; }
  const process_pool_options& options() const noexcept { return opt_; }

  /// Queues a task, or hands it straight to an idle worker. Throws pool_closed when the
  /// pool takes no more work, or the error that broke it.
  ///
  /// `eager`: when the task goes straight to a worker that is still spinning, the
  /// submitting thread itself reads that worker's answer for up to this long, so that a
  /// short task's future is ready on return (no hand-over through the reactor thread and no
  /// sleeping get()). The typed layer sets it from the kernel's declared cost.
  void submit(task_ptr t, std::chrono::nanoseconds eager = {});

  /// No more submissions; work already submitted still runs.
  void close() {
    std::lock_guard lock(mu_);
    closed_ = true;
  }

  /// Kills the workers and fails every unfinished task with pool_closed.
  void terminate();

  /// Closes, waits for every submitted task to end, stops the workers and reaps them.
  void shutdown() noexcept;

  process_pool_stats stats() const {
    std::lock_guard lock(mu_);
    return stats_;
  }

  /// Counts task endings; as_completed waits on it.
  std::uint64_t completion_epoch() const noexcept { return epoch_.load(std::memory_order_acquire); }
  /// Waits until the completion epoch moves past `seen` (or `limit` passes).
  void wait_completion(std::uint64_t seen, std::chrono::milliseconds limit);

 private:
  using clock = std::chrono::steady_clock;
  static constexpr clock::time_point no_deadline = clock::time_point::max();
  static constexpr int max_start_failures = 3;

  enum class state : std::uint8_t { vacant, starting, idle, busy, retiring, exiting };
  enum class source : std::uint32_t { wake, server, sock, pidfd };
  static std::uint64_t key(source s, std::uint32_t index) noexcept {
    return (std::uint64_t{static_cast<std::uint32_t>(s)} << 32) | index;
  }

  struct worker {
    explicit worker(unsigned i) : index(i) {}
    unsigned index;
    // Guarded by mu_.
    state st = state::vacant;
    std::deque<task_ptr> tasks;  // in its ring, in order: the front one runs
    std::size_t sent = 0;        // bytes of the last task's request written
    bool sent_all = true;
    clock::time_point started{};                // when the front task started
    clock::time_point deadline = no_deadline;   // the front task's
    std::chrono::milliseconds limit{0};
    std::uint64_t assigned = 0;  // tasks given to this process
    std::uint64_t done = 0;
    bool timed_out = false;
    bool doomed = false;       // killed by the pool: takes no more work
    std::exception_ptr fault;  // why the pool killed it (a protocol error)
    // Set by the thread that starts the worker, read by the reactor; the ring views are
    // also used by submitters, under mu_.
    pid_t pid = -1;
    ipc::unique_fd pidfd, sock;
    ipc::duplex_mapping map;
    ipc::ring req, resp;
    std::unique_ptr<ipc::frame_decoder> decoder;
    std::atomic<std::int64_t> last_active{0};  // when it last answered (steady clock, ns)
    std::atomic<std::uint64_t> last_done{0};   // the id of the last task it ended
    // Guarded by poll_mu_ (the right to read the response rings and handle events).
    bool live = false;     // has a process whose rings are read
    bool corrupt = false;  // its stream failed validation: not read any more
    bool sock_eof = false;
  };

  // ---- starting and stopping workers -------------------------------------------------

  void watch(int fd, std::uint64_t k);
  void unwatch(int fd) noexcept {
    if (fd >= 0) ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  }

  void start_worker(worker& w);

  ipc::started_child start_child(const ipc::start_message& m);

  // The CPUs a full pool pins its workers to, starting where the previous pool stopped so
  // that two pools do not both begin at CPU 0; empty when the pool is not full.
  static std::vector<int> pinning_cpus(unsigned workers);

  // The constructor failed half-way: kill what started and reap it.
  void abandon_start() noexcept;

  void kill_locked(worker& w) noexcept {
    w.doomed = true;
    if (w.pidfd) ipc::signal_pidfd(w.pidfd.get(), SIGKILL);
    else if (w.pid > 0) ::kill(w.pid, SIGKILL);
  }

  void send_shutdown_locked(worker& w);

  std::size_t ready_count_locked() const noexcept {
    std::size_t n = 0;
    for (const auto& w : workers_) n += w->st == state::idle || w->st == state::busy;
    return n;
  }
  bool all_vacant_locked() const noexcept {
    for (const auto& w : workers_)
      if (w->st != state::vacant) return false;
    return true;
  }

  // ---- dispatch ----------------------------------------------------------------------

  // True when `w` may take one more task now.
  bool can_take_locked(const worker& w, const process_task& t) const noexcept;

  // A busy worker that may queue `t` behind its current task: the one that started it first.
  worker* prefetch_target_locked(const process_task& t);

  // The front task starts now: its timeout counts from here.
  void start_front_locked(worker& w);

  void dispatch_locked(worker& w, task_ptr t);

  // Writes as much of the last task's request as fits; the rest follows as the worker reads.
  // The request is kept until the answer: a task queued behind one that kills its worker is
  // sent again to another.
  void write_locked(worker& w);

  bool flush_partial_writes();

  // ---- the reactor -------------------------------------------------------------------

  static std::int64_t now_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now().time_since_epoch()).count();
  }

  // True when the worker answered recently enough to be still spinning on its ring.
  bool warm(const worker& w) const noexcept {
    return now_ns() - w.last_active.load(std::memory_order_relaxed) < std::chrono::nanoseconds(opt_.spin).count();
  }

  // The submitter's side of an eager submit: polls the worker's ring until task `id` ends
  // or `limit` passes, unless another thread is polling.
  void await_answer(worker& w, std::uint64_t id, std::chrono::nanoseconds limit);

  void reactor_main() noexcept;

  void poke_reactor() noexcept {
    const std::uint64_t one = 1;
    (void)::write(wake_.get(), &one, sizeof one);
  }

  // Sleeps in epoll until a worker writes, a child ends, a deadline passes or a poke;
  // `pl` (poll_mu_) is released while asleep, so submitters may poll meanwhile.
  void park(std::unique_lock<std::mutex>& pl);

  void on_event(std::uint64_t k);

  // Handles the fork server's exit notices, including those a fork request queued.
  void take_server_exits();

  // Reads the worker's response ring; handles each whole frame. True when bytes moved.
  bool drain(worker& w);

  void on_frame(worker& w);

  // Hands queued tasks to a worker that has room (one to run, more to queue behind a
  // steady one); a worker left without work is idle.
  void give_work_locked(worker& w);

  void enforce_deadlines();

  // A worker's process ended with `st`: fail the task it was running, send the tasks
  // queued behind it to other workers, and replace it.
  void on_exit(worker& w, ipc::exit_status st);

  void break_pool(std::exception_ptr e);

  void fail_pending(std::exception_ptr e);

  // ---- task endings ------------------------------------------------------------------

  // Counts first, then publishes: whoever sees the value also sees it counted.
  void finish_done(process_task& t);
  void finish_failed(process_task& t, std::exception_ptr e) noexcept;
  void ended();

  process_pool_options opt_;
  std::uint32_t capacity_;
  ipc::unique_fd epoll_, wake_;
  ipc::server_link link_;
  std::vector<std::unique_ptr<worker>> workers_;
  std::vector<int> cpus_;  // a pinned pool's CPUs, by worker index
  std::thread reactor_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<task_ptr> pending_;
  std::vector<unsigned> idle_;
  std::uint64_t next_id_ = 0;
  std::size_t outstanding_ = 0;
  bool closed_ = false, stopping_ = false, stopped_ = false, terminating_ = false;
  int start_failures_ = 0;
  int replacing_ = 0;  // replacements decided and not yet started: shutdown waits for them
  std::exception_ptr broken_;
  process_pool_stats stats_;

  std::atomic<int> partial_{0};
  std::atomic<int> deadlines_{0};
  std::atomic<int> in_flight_{0};
  std::atomic<bool> stop_reactor_{false};
  std::atomic<bool> reactor_parked_{false};
  std::atomic<int> eager_{0};
  std::mutex poll_mu_;  // held by whoever reads the response rings and handles events
  bool server_gone_ = false;

  std::mutex epoch_mu_;
  std::condition_variable epoch_cv_;
  std::atomic<std::uint64_t> epoch_{0};
};

}  // namespace detail
}  // namespace breakeven

#if !defined(BREAKEVEN_SEPARATE_COMPILATION)
#include <breakeven/executor/detail/impl/process_engine.ipp>
#endif
