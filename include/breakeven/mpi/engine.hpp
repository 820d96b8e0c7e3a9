// breakeven/mpi/engine.hpp - the coordinator's side of the cluster executor: a progress
// thread that sends task messages to the worker ranks and completes tasks from their replies,
// and submitters that do the same on their own thread when they can. One thread at a time
// makes MPI calls (MPI_THREAD_SERIALIZED, one lock).
//
// A submitter sends its task itself when no other thread is in MPI. A short task (declared
// cost under 200 us) sent to a rank with nothing else in flight is read back by its
// submitter too, for a bounded window, while the progress thread stays off MPI: the
// future is ready on return, and a round trip costs no thread hand-over and no wake-up
// (docs/benchmarks.md, mpi_rt_vs_raw). The progress thread handles what is left: queued
// tasks, replies nobody reads, deadlines; with nothing in flight it sleeps until a task
// arrives.
//
// Claiming is dynamic: a task goes to the rank with the fewest tasks in flight, at most
// `depth` per rank (2: one running, one waiting beside it, so that a rank never idles
// for a round trip between tasks) when the task is short, one when it is long (declared
// cost of 1 ms or more: it waits for a rank that is free). Waiting never busy-polls for long: after `spin` of
// finding nothing the thread backs off in sleeps from 20 us to 0.5 ms (woken at once by a new
// task), and with nothing in flight it sleeps until a task arrives. On a 2-core machine
// running 2 worker ranks beside it, the coordinator therefore leaves both cores to them.
//
// A message is [task id u64][timeout ms i64][the chunk, as ipc::encode_chunk writes it];
// a reply is [task id u64][reply_status][value: executor_kind, count, outputs | error].
#pragma once

#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1  // the C API only: Open MPI's deprecated C++ bindings stay out
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>

#include <breakeven/detail/sys.hpp>
#include <breakeven/ipc/codec.hpp>
#include <breakeven/ipc/errors.hpp>
#include <breakeven/mpi/rank.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <signal.h>
#include <time.h>
#include <unistd.h>

namespace breakeven::mpi {

/// Message tags of the protocol.
/// Message tags of the protocol. A serving rank sends an echo_tag message straight back (the
/// raw round trip the benchmarks compare a task's with, through the same receive loop).
enum tag : int { task_tag = 0x6265, reply_tag = 0x6266, stop_tag = 0x6267, echo_tag = 0x6268 };

/// True when a launcher (mpirun, srun with PMI/PMIx) started this process.
inline bool under_launcher() noexcept {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(v) != nullptr) return true;
  return false;
}

/// An MPI call failed: the code's text, and what was being done.
class mpi_error : public std::runtime_error {
 public:
  mpi_error(const char* what, int code) : std::runtime_error(message(what, code)), code_(code) {}
  int code() const noexcept { return code_; }

 private:
  static std::string message(const char* what, int code) {
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) len = 0;
    return std::string("breakeven: ") + what + ": " + std::string(text, static_cast<std::size_t>(len));
  }
  int code_;
};

namespace detail {
inline void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw mpi_error(what, rc);
}

// Sleeps `us` microseconds (the waiting loops' back-off).
inline void nap(long us) noexcept {
  timespec ts{us / 1'000'000, (us % 1'000'000) * 1'000};
  ::nanosleep(&ts, nullptr);
}

/// How long a serving rank spins for its next task after a reply, before it naps.
inline constexpr std::chrono::microseconds rank_spin{200};

// True on a thread that holds the engine's MPI lock (a completion that submits from there
// must not take it again).
inline thread_local bool driving = false;
struct driving_mark {
  driving_mark() noexcept { driving = true; }
  ~driving_mark() { driving = false; }
  driving_mark(const driving_mark&) = delete;
  driving_mark& operator=(const driving_mark&) = delete;
};

/// The bytes before the chunk in a task message.
inline constexpr std::size_t task_header_bytes = 16;

// What a signal handler may read of the tasks in flight: the progress thread fills a slot
// when it sends a task (id last) and clears it when the task ends. When a rank dies, mpirun
// ends the others with SIGTERM (then SIGKILL): the coordinator's handler prints these.
struct flight_slot {
  std::atomic<std::uint64_t> id{0};
  std::atomic<int> rank{0};
  std::atomic<const char*> kernel{nullptr};
  std::atomic<std::size_t> kernel_len{0}, first{0}, items{0};
};
inline constexpr std::size_t flight_slot_count = 512;
inline std::array<flight_slot, flight_slot_count>& flight_slots() noexcept {
  static std::array<flight_slot, flight_slot_count> a;
  return a;
}

// Async-signal-safe text output.
struct signal_text {
  char buf[512];
  std::size_t n = 0;
  void add(const char* s, std::size_t len) noexcept {
    for (std::size_t i = 0; i < len && n < sizeof buf; ++i) buf[n++] = s[i];
  }
  void add(const char* s) noexcept { add(s, std::strlen(s)); }
  void add(std::uint64_t v) noexcept {
    char d[24];
    std::size_t k = 0;
    do d[k++] = static_cast<char>('0' + v % 10);
    while ((v /= 10) != 0);
    while (k > 0 && n < sizeof buf) buf[n++] = d[--k];
  }
  void flush() noexcept {
    for (std::size_t done = 0; done < n;) {
      const ssize_t w = ::write(2, buf + done, n - done);
      if (w <= 0) break;
      done += static_cast<std::size_t>(w);
    }
    n = 0;
  }
};

inline struct sigaction& previous_term_action() noexcept {
  static struct sigaction a {};
  return a;
}

extern "C" inline void report_in_flight_on_signal(int sig) noexcept {
  signal_text t;
  t.add("breakeven: the MPI job is ending (signal ");
  t.add(static_cast<std::uint64_t>(sig));
  t.add("): a rank failed or the job was stopped; Open MPI has no fault-tolerant MPI. Tasks in flight:\n");
  t.flush();
  bool any = false;
  for (const flight_slot& f : flight_slots()) {
    const std::uint64_t id = f.id.load(std::memory_order_acquire);
    if (id == 0) continue;
    any = true;
    t.add("  rank ");
    t.add(static_cast<std::uint64_t>(f.rank.load(std::memory_order_relaxed)));
    t.add(": task ");
    t.add(id);
    t.add(", kernel ");
    if (const char* k = f.kernel.load(std::memory_order_relaxed)) t.add(k, f.kernel_len.load(std::memory_order_relaxed));
    const std::size_t first = f.first.load(std::memory_order_relaxed), items = f.items.load(std::memory_order_relaxed);
    t.add(", items ");
    t.add(first);
    t.add("..");
    t.add(first + (items == 0 ? 0 : items - 1));
    t.add("\n");
    t.flush();
  }
  if (!any) t.add("  (none)\n");
  t.flush();
  ::sigaction(sig, &previous_term_action(), nullptr);
  ::raise(sig);
}
}  // namespace detail

/// One task on its way to a rank: the message, and what to do with the reply.
class cluster_task {
 public:
  virtual ~cluster_task() = default;
  /// The reply's value part: the item count and the outputs.
  virtual void complete(ipc::reader& r) = 0;
  virtual void fail(std::exception_ptr e) noexcept = 0;

  std::vector<std::byte> request;          ///< header (id, timeout) then the chunk
  std::chrono::milliseconds timeout{};     ///< 0: none
  std::string_view kernel_name;            ///< for the fault report
  std::size_t first_item = 0, items = 0;   ///< for the fault report
  double expected_ns = -1;                 ///< the kernel's declared cost x items (-1: unknown)

  /// Starts a request: room for the header, the timeout in it; the chunk goes after.
  void begin_request(std::chrono::milliseconds limit) {
    timeout = limit;
    request.reserve(128);  // a small task's whole message, without growing on the way
    request.resize(detail::task_header_bytes);
    const std::int64_t ms = limit.count();
    std::memcpy(request.data() + 8, &ms, sizeof ms);
  }
};

/// What the cluster executor counted.
struct cluster_stats {
  std::uint64_t tasks = 0;       ///< tasks completed, with a value or an error
  std::uint64_t failed = 0;      ///< of them, with an error
  std::uint64_t timed_out = 0;   ///< failed by the coordinator's own deadline
  /// Per rank (index = rank; 0, the coordinator, runs none): tasks, and by which local executor.
  std::vector<std::array<std::uint64_t, executor_kind_count>> by_rank;
  std::vector<std::uint64_t> tasks_by_rank;
};

/// The coordinator's engine: a queue of tasks, the tasks in flight per rank, one progress thread.
class cluster_engine {
 public:
  using clock = std::chrono::steady_clock;

  cluster_engine(MPI_Comm comm, int size, unsigned depth = 2, std::chrono::microseconds spin = std::chrono::microseconds(50))
      : comm_(comm), size_(size), depth_(depth == 0 ? 1 : depth), spin_(spin), load_(static_cast<std::size_t>(size), 0) {
    stats_.by_rank.resize(static_cast<std::size_t>(size));
    stats_.tasks_by_rank.resize(static_cast<std::size_t>(size));
    (void)detail::flight_slots();  // constructed here, never first in the handler
    struct sigaction a {};
    a.sa_handler = &detail::report_in_flight_on_signal;
    sigemptyset(&a.sa_mask);
    ::sigaction(SIGTERM, &a, &detail::previous_term_action());
    thread_ = std::thread([this] { loop(); });
  }
  cluster_engine(const cluster_engine&) = delete;
  cluster_engine& operator=(const cluster_engine&) = delete;
  ~cluster_engine() { shutdown(); }

  /// Ranks that run tasks.
  unsigned worker_ranks() const noexcept { return static_cast<unsigned>(size_ - 1); }

  /// Queues a task and sends it to the least loaded rank from this thread when no other
  /// thread is making MPI calls (otherwise the progress thread sends it).
  ///
  /// `eager`: when this thread sent the task to a rank with nothing else in flight, it reads
  /// the replies itself for up to this long, so that a short task's future is ready on
  /// return: no hand-over to the progress thread and back, no sleeping get(). The progress
  /// thread stays off MPI (and off this CPU) meanwhile. (Whether the rank still spins for
  /// work or naps is not known here: the reply that ended its last task may have been read
  /// late, under load. Reading for a bounded window either way costs at most the window.)
  void submit(std::unique_ptr<cluster_task> t, std::chrono::nanoseconds eager = {}) {
    const breakeven::detail::eager_mark mark(eager.count() > 0 ? &eager_ : nullptr);
    cluster_task* const mine = t.get();
    {
      std::lock_guard lock(m_);
      if (closing_) throw pool_closed("breakeven: the cluster executor is closed");
      queue_.push_back(std::move(t));
    }
    sent_task sent;
    if (!detail::driving) {  // not from a completion on a thread that holds mpi_m_
      // An eager submitter waits out the progress thread's current pass (it takes the lock
      // no more once it sees the mark); another sends only when the lock is free.
      const auto until = clock::now() + eager;
      std::unique_lock mpi(mpi_m_, std::try_to_lock);
      for (unsigned spins = 0; !mpi && eager.count() > 0 && clock::now() < until;) {
        breakeven::detail::spin_step(spins);
        (void)mpi.try_lock();
      }
      if (mpi) {
        const detail::driving_mark d;
        sent = send_queued(mine);
      }
    }
    if (sent.rank > 0 && sent.rank_was_idle && eager.count() > 0) await_reply(sent.id, eager);
    bool wake = false;
    {
      std::lock_guard lock(m_);
      // The progress thread, parked with nothing to do, must learn of a task left queued or
      // one in flight whose reply nobody reads.
      wake = !queue_.empty() || (parked_ && !in_flight_.empty());
    }
    if (wake) cv_.notify_one();
  }

  /// Waits for every task queued and in flight, then stops the progress thread.
  void shutdown() {
    {
      std::lock_guard lock(m_);
      closing_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) {
      thread_.join();
      ::sigaction(SIGTERM, &detail::previous_term_action(), nullptr);
    }
  }

  /// Tasks completed so far (for waiting on "any of these").
  std::uint64_t completions() const noexcept { return completions_.load(std::memory_order_acquire); }
  /// Waits until more than `seen` tasks have completed, or `limit` has passed.
  void wait_completion(std::uint64_t seen, std::chrono::milliseconds limit) {
    std::unique_lock lock(done_m_);
    done_cv_.wait_for(lock, limit, [&] { return completions() > seen; });
  }

  cluster_stats stats() const {
    std::lock_guard lock(m_);
    return stats_;
  }

  /// Runs `f(comm)` while no other thread of this process makes MPI calls (for measurements
  /// beside the executor, such as an echo round trip).
  template <class F>
  decltype(auto) with_mpi(F&& f) {
    std::lock_guard mpi(mpi_m_);
    const detail::driving_mark d;
    return std::forward<F>(f)(comm_);
  }

  /// The tasks in flight, one line per task: rank, task id, kernel, items.
  std::string in_flight_report() const {
    std::lock_guard lock(m_);
    return report_locked();
  }

 private:
  struct flight {
    std::unique_ptr<cluster_task> task;  // null once the coordinator's deadline failed it
    int rank = 0;
    MPI_Request send = MPI_REQUEST_NULL;
    clock::time_point deadline = clock::time_point::max();
    std::string_view kernel;
    std::size_t first = 0, items = 0;
    detail::flight_slot* slot = nullptr;  // where a signal handler finds it
  };

  static detail::flight_slot* publish(std::uint64_t id, int rank, std::string_view kernel, std::size_t first,
                                      std::size_t items) noexcept {
    for (detail::flight_slot& f : detail::flight_slots()) {
      if (f.id.load(std::memory_order_relaxed) != 0) continue;
      f.rank.store(rank, std::memory_order_relaxed);
      f.kernel.store(kernel.data(), std::memory_order_relaxed);
      f.kernel_len.store(kernel.size(), std::memory_order_relaxed);
      f.first.store(first, std::memory_order_relaxed);
      f.items.store(items, std::memory_order_relaxed);
      f.id.store(id, std::memory_order_release);
      return &f;
    }
    return nullptr;  // more in flight than the report holds: the rest are left out of it
  }

  std::string report_locked() const {
    std::string s;
    for (const auto& [id, f] : in_flight_) {
      s += "  rank " + std::to_string(f.rank) + ": task " + std::to_string(id) + ", kernel " + std::string(f.kernel) +
           ", items " + std::to_string(f.first) + ".." + std::to_string(f.first + (f.items == 0 ? 0 : f.items - 1)) + "\n";
    }
    if (s.empty()) s = "  (none)\n";
    return s;
  }

  // An MPI call failed: with Open MPI 4.1 (no ULFM) the job cannot go on. Say what was
  // where, then end the job.
  [[noreturn]] void fatal(int rc, const char* what) {
    std::string report;
    {
      std::lock_guard lock(m_);
      report = report_locked();
    }
    const mpi_error e(what, rc);
    std::fprintf(stderr, "%s\nbreakeven: the MPI job cannot continue (a rank failed; Open MPI has no fault-tolerant MPI). Tasks in flight:\n%s",
                 e.what(), report.c_str());
    std::fflush(stderr);
    MPI_Abort(comm_, 3);
    std::abort();
  }

  // The rank to send `t` to: the least loaded one with room. A task is queued on a busy rank
  // (prefetched) only when it is short (declared under prefetch_ns_): then the rank never idles
  // for a round trip between tasks, and a long task it waits behind costs little. A long task
  // waits for an idle rank, so that ranks claim long tasks as they finish them.
  int least_loaded(const cluster_task& t) const {
    const unsigned room = t.expected_ns >= 0 && t.expected_ns < prefetch_ns_ ? depth_ : 1;
    int best = -1;
    for (int r = 1; r < size_; ++r)
      if (load_[static_cast<std::size_t>(r)] < room && (best < 0 || load_[static_cast<std::size_t>(r)] < load_[static_cast<std::size_t>(best)]))
        best = r;
    return best;
  }

  // Completes the task of one reply; returns its id (0 when the reply named none in flight).
  std::uint64_t handle_reply(std::vector<std::byte>& buf, int source) {
    ipc::reader r(buf);
    std::uint64_t id = 0;
    std::unique_ptr<cluster_task> t;
    MPI_Request send = MPI_REQUEST_NULL;
    try {
      id = r.get<std::uint64_t>();
    } catch (...) {
      return 0;  // a reply too short to name its task: nothing to complete
    }
    {
      std::lock_guard lock(m_);
      const auto it = in_flight_.find(id);
      if (it == in_flight_.end() || it->second.rank != source) return 0;
      t = std::move(it->second.task);
      send = it->second.send;
      if (it->second.slot != nullptr) it->second.slot->id.store(0, std::memory_order_release);
      --load_[static_cast<std::size_t>(source)];
      if (it->second.deadline != clock::time_point::max()) deadlines_.fetch_sub(1, std::memory_order_relaxed);
      in_flight_.erase(it);
    }
    if (send != MPI_REQUEST_NULL) MPI_Wait(&send, MPI_STATUS_IGNORE);  // received by now: its buffer is free
    if (!t) return id;  // already failed by the coordinator's deadline
    // Counted before the task completes: whoever waits on it then sees it in the statistics.
    const auto count = [&](bool failed, executor_kind ran_on) {
      std::lock_guard lock(m_);
      ++stats_.tasks;
      if (failed) ++stats_.failed;
      ++stats_.tasks_by_rank[static_cast<std::size_t>(source)];
      if (!failed) ++stats_.by_rank[static_cast<std::size_t>(source)][static_cast<std::size_t>(ran_on)];
    };
    try {
      const auto status = r.get<reply_status>();
      if (status == reply_status::value) {
        const auto ran_on = r.get<executor_kind>();
        count(false, ran_on);
        try {
          t->complete(r);
        } catch (...) {
          std::lock_guard lock(m_);
          ++stats_.failed;
          throw;
        }
      } else {
        count(true, executor_kind::sequential);
        t->fail(reply_error(status, r));
      }
    } catch (...) {
      t->fail(std::current_exception());
    }
    t.reset();
    completed();
    return id;
  }

  void completed() {
    {
      std::lock_guard lock(done_m_);
      completions_.fetch_add(1, std::memory_order_release);
    }
    done_cv_.notify_all();
  }

  // Fails tasks past the coordinator's deadline (the rank enforces the limit itself by
  // killing a local worker; this is the backstop when the rank cannot answer in time).
  // Their rank slots stay taken until the late reply arrives.
  void expire(clock::time_point now) {
    std::vector<std::unique_ptr<cluster_task>> late;
    {
      std::lock_guard lock(m_);
      for (auto& [id, f] : in_flight_)
        if (f.task && now > f.deadline) {
          late.push_back(std::move(f.task));
          ++stats_.tasks;
          ++stats_.failed;
          ++stats_.timed_out;
        }
    }
    for (auto& t : late) {
      t->fail(std::make_exception_ptr(task_timeout(0, t->timeout)));
      t.reset();
      completed();
    }
  }

  // The submitter's side of an eager submit: reads replies until `mine` has completed (its
  // reply may complete others on the way) or `limit` passes.
  void await_reply(std::uint64_t mine, std::chrono::nanoseconds limit) {
    const auto until = clock::now() + limit;
    unsigned spins = 0;
    while (clock::now() < until) {
      {
        std::unique_lock mpi(mpi_m_, std::try_to_lock);
        if (mpi) {
          const detail::driving_mark d;
          if (poll_replies(eager_buf_, mine)) return;
        }
      }
      breakeven::detail::spin_step(spins);  // yields at times: a rank may be waiting for this CPU
    }
  }

  struct sent_task {
    int rank = 0;                // 0: still queued
    std::uint64_t id = 0;
    bool rank_was_idle = false;  // nothing else in flight there: the reply follows the task
  };

  // Sends queued tasks to ranks with room (mpi_m_ held); `count` receives how many. Returns
  // where `mine` went.
  sent_task send_queued(const cluster_task* mine, std::size_t* count = nullptr) {
    sent_task out;
    std::unique_lock lock(m_);
    while (!queue_.empty()) {
      const int r = least_loaded(*queue_.front());
      if (r < 0) break;
      std::unique_ptr<cluster_task> t = std::move(queue_.front());
      queue_.pop_front();
      const std::uint64_t id = next_id_++;
      std::memcpy(t->request.data(), &id, sizeof id);
      flight f;
      f.rank = r;
      f.kernel = t->kernel_name;
      f.first = t->first_item;
      f.items = t->items;
      if (t->timeout.count() > 0) {
        f.deadline = clock::now() + 2 * t->timeout + std::chrono::seconds(1);
        ++deadlines_;
      }
      ++load_[static_cast<std::size_t>(r)];
      f.slot = publish(id, r, t->kernel_name, t->first_item, t->items);
      cluster_task* raw = t.get();
      if (raw == mine) out = {r, id, load_[static_cast<std::size_t>(r)] == 1};
      if (count != nullptr) ++*count;
      f.task = std::move(t);
      auto& slot = in_flight_.emplace(id, std::move(f)).first->second;
      // Only threads holding mpi_m_ complete flights: `slot` stays while m_ is released.
      lock.unlock();
      const int rc = MPI_Isend(raw->request.data(), static_cast<int>(raw->request.size()), MPI_BYTE, r, task_tag, comm_,
                               &slot.send);
      if (rc != MPI_SUCCESS) fatal(rc, "MPI_Isend of a task");
      lock.lock();
    }
    return out;
  }

  // Reads every reply that has arrived (mpi_m_ held) and completes its task. Returns true
  // when task `stop_at` completed (then it stops there), otherwise whether any reply came.
  bool poll_replies(std::vector<std::byte>& buf, std::uint64_t stop_at = 0) {
    bool any = false;
    for (;;) {
      int flag = 0;
      MPI_Status st;
      int rc = MPI_Iprobe(MPI_ANY_SOURCE, reply_tag, comm_, &flag, &st);
      if (rc != MPI_SUCCESS) fatal(rc, "MPI_Iprobe for replies");
      if (flag == 0) return stop_at == 0 && any;
      int count = 0;
      MPI_Get_count(&st, MPI_BYTE, &count);
      buf.resize(static_cast<std::size_t>(count));
      rc = MPI_Recv(buf.data(), count, MPI_BYTE, st.MPI_SOURCE, reply_tag, comm_, MPI_STATUS_IGNORE);
      if (rc != MPI_SUCCESS) fatal(rc, "MPI_Recv of a reply");
      if (handle_reply(buf, st.MPI_SOURCE) == stop_at && stop_at != 0) return true;
      any = true;
    }
  }

  void loop() {
    std::vector<std::byte> buf;
    bool idle = false;
    clock::time_point idle_since{};
    long backoff_us = 20;
    std::unique_lock lock(m_);
    for (;;) {
      bool worked = false;
      lock.unlock();
      // While a submitter reads its own reply, stay off MPI (and off its CPU).
      if (eager_.load(std::memory_order_acquire) == 0) {
        std::unique_lock mpi(mpi_m_);
        const detail::driving_mark d;
        std::size_t sent = 0;
        send_queued(nullptr, &sent);
        worked = poll_replies(buf) || sent != 0;
        if (deadlines_.load(std::memory_order_relaxed) != 0) expire(clock::now());
      }

      lock.lock();
      if (worked) {
        idle = false;
        backoff_us = 20;
        continue;
      }
      if (in_flight_.empty() && queue_.empty()) {
        if (closing_) break;
        parked_ = true;
        cv_.wait(lock, [&] { return !queue_.empty() || !in_flight_.empty() || closing_; });
        parked_ = false;
        idle = false;
        continue;
      }
      const auto now = clock::now();
      if (!idle) {
        idle = true;
        idle_since = now;
      }
      // Spin a little for a reply (not while a submitter reads its own).
      if (now - idle_since < spin_ && eager_.load(std::memory_order_relaxed) == 0) continue;
      // Back off: new work that can be sent wakes the thread at once.
      cv_.wait_for(lock, std::chrono::microseconds(backoff_us), [&] { return !queue_.empty() && least_loaded(*queue_.front()) >= 0; });
      backoff_us = std::min<long>(backoff_us * 2, 500);
    }
  }

  MPI_Comm comm_;
  int size_;
  unsigned depth_;
  std::chrono::microseconds spin_;
  double prefetch_ns_ = 1e6;
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<cluster_task>> queue_;
  std::unordered_map<std::uint64_t, flight> in_flight_;
  std::vector<unsigned> load_;
  std::uint64_t next_id_ = 1;
  bool closing_ = false;
  cluster_stats stats_;
  std::atomic<std::uint64_t> completions_{0};
  std::mutex done_m_;
  std::condition_variable done_cv_;
  std::mutex mpi_m_;                    // one thread makes MPI calls at a time (MPI_THREAD_SERIALIZED)
  std::atomic<int> eager_{0};           // submitters reading their own replies
  std::atomic<int> deadlines_{0};       // flights with a coordinator deadline
  bool parked_ = false;                 // (m_) the progress thread waits with nothing to do
  std::vector<std::byte> eager_buf_;    // (mpi_m_) a submitter's receive buffer
  std::thread thread_;
};

}  // namespace breakeven::mpi
