// breakeven/mpi/cluster.hpp - the cluster executor: kernels run on the worker ranks of an
// MPI job, each rank running its share with the local decision for its cores.
//
// The same surface as the process pool: bulk_map and bulk_for_each by a schedule, map and
// for_each, submit -> std::future (with a per-task timeout) and apply (the same, waited for
// in place), imap (lazy, ordered),
// imap_unordered and as_completed (completion order). Chunks default to the cluster plan's
// (decide_cluster with the session's network terms); ranks claim them as they finish.
// Every task ends in one value or one error: an exception thrown on a rank comes back with
// its type (the process pool's transport: standard and registered types, remote_error
// otherwise); an item whose local worker process died fails with worker_lost, one past its
// timeout with task_timeout, as in a local process pool.
//
// With one rank (a program not started under mpirun, or -np 1) it runs everything on the
// calling process with the local decision.
//
// For the local decision it reports itself as a process executor (kind process_pool): its
// items cross process boundaries under the same rules.
#pragma once

#include <breakeven/cluster_policy.hpp>
#include <breakeven/config.hpp>
#include <breakeven/decide.hpp>
#include <breakeven/executor.hpp>
#include <breakeven/executor/process_pool.hpp>
#include <breakeven/ipc/codec.hpp>
#include <breakeven/ipc/entry.hpp>
#include <breakeven/mpi/engine.hpp>
#include <breakeven/mpi/rank.hpp>
#include <breakeven/mpi/session.hpp>
#include <breakeven/operation.hpp>
#include <breakeven/plan.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <future>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace breakeven::mpi {

namespace detail {

// Writes a task's chunk after its header, and names it for the fault report.
template <class Op, class It>
void encode_task(cluster_task& t, const Op& op, It first, std::size_t n, std::size_t offset,
                 std::chrono::milliseconds timeout) {
  if (n > 0xffffffffu) throw std::length_error("breakeven: a chunk holds at most 2^32-1 items");
  (void)&rank_entry<Op>::reg;  // the ranks find the kernel by this registration's name
  t.begin_request(timeout);
  {
    ipc::writer w(t.request);
    ipc::encode_chunk(w, op, first, static_cast<std::uint32_t>(n));
  }
  t.kernel_name = kernel_traits<Op>::name;
  t.first_item = offset;
  t.items = n;
  constexpr std::int64_t cost = kernel_traits<Op>::cost_ns;
  t.expected_ns = cost < 0 ? -1.0 : static_cast<double>(cost) * static_cast<double>(n);
}

template <class Out>
class value_task final : public cluster_task {
 public:
  std::promise<Out> promise;
  void complete(ipc::reader& r) override {
    breakeven::detail::expect_one_item(r);
    if constexpr (std::is_void_v<Out>) promise.set_value();
    else promise.set_value(ipc::decode<Out>(r));
  }
  void fail(std::exception_ptr e) noexcept override { promise.set_exception(e); }
};

// A task whose submitter waits for it in place (cluster::apply): the process pool's
// in_place_result, completed when the reply is read.
template <class Out>
class apply_task final : public breakeven::detail::in_place_task_base<Out, cluster_task> {
 public:
  using breakeven::detail::in_place_task_base<Out, cluster_task>::in_place_task_base;
  void complete(ipc::reader& r) override {
    this->decode(r);
    this->end(nullptr);
  }
};

// One chunk of a bulk call; `Store` receives (offset, reader, count) on the progress thread.
template <class Store>
class chunk_task final : public cluster_task {
 public:
  chunk_task(std::shared_ptr<breakeven::detail::batch_state> b, std::size_t count, Store store)
      : batch_(std::move(b)), count_(count), store_(std::move(store)) {}
  void complete(ipc::reader& r) override {
    if (r.get<std::uint32_t>() != count_) r.fail("a chunk answered with another count of values", 0);
    store_(first_item, r, count_);
    batch_->done();
  }
  void fail(std::exception_ptr e) noexcept override { batch_->failed(e, first_item); }

 private:
  std::shared_ptr<breakeven::detail::batch_state> batch_;
  std::size_t count_;
  Store store_;
};

// The shared state of a stream: finished chunks, by chunk number, until read.
template <class Out>
struct stream_state {
  std::mutex m;
  std::condition_variable cv;
  std::map<std::size_t, std::variant<std::vector<Out>, std::exception_ptr>> done;  // by chunk number
  std::deque<completed<Out>> ready;                                                // unordered streams
  bool ordered = true;

  void put(std::size_t chunk_no, std::size_t first, std::vector<Out> values) {
    {
      std::lock_guard lock(m);
      if (ordered) {
        done.emplace(chunk_no, std::move(values));
      } else {
        for (std::size_t i = 0; i < values.size(); ++i) ready.emplace_back(first + i, std::move(values[i]));
        done.emplace(chunk_no, std::vector<Out>{});
      }
    }
    cv.notify_all();
  }
  void put_error(std::size_t chunk_no, std::size_t first, std::size_t count, std::exception_ptr e) {
    {
      std::lock_guard lock(m);
      if (ordered) {
        done.emplace(chunk_no, e);
      } else {
        for (std::size_t i = 0; i < count; ++i) ready.emplace_back(first + i, e);
        done.emplace(chunk_no, std::vector<Out>{});
      }
    }
    cv.notify_all();
  }
};

template <class Out>
class stream_task final : public cluster_task {
 public:
  stream_task(std::shared_ptr<stream_state<Out>> s, std::size_t chunk_no) : s_(std::move(s)), no_(chunk_no) {}
  void complete(ipc::reader& r) override {
    const auto n = r.get<std::uint32_t>();
    if (n != items) r.fail("a chunk answered with another count of values", 0);
    std::vector<Out> v;
    v.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) v.push_back(ipc::decode<Out>(r));
    s_->put(no_, first_item, std::move(v));
  }
  void fail(std::exception_ptr e) noexcept override { s_->put_error(no_, first_item, items, e); }

 private:
  std::shared_ptr<stream_state<Out>> s_;
  std::size_t no_;
};

// An input iterator over a source whose next() gives std::optional<V> (std::nullopt at the end).
template <class Source, class V>
class next_iterator {
 public:
  using value_type = V;
  using difference_type = std::ptrdiff_t;
  next_iterator() = default;
  explicit next_iterator(Source* s) : s_(s) { ++*this; }
  V& operator*() const { return *cur_; }
  next_iterator& operator++() {
    cur_ = s_->next();
    return *this;
  }
  void operator++(int) { ++*this; }
  friend bool operator==(const next_iterator& i, std::default_sentinel_t) { return !i.cur_.has_value(); }

 private:
  Source* s_ = nullptr;
  mutable std::optional<V> cur_;
};

}  // namespace detail

class cluster;

/// The outputs of a kernel over a range, streamed from the ranks: in input order (imap) or in
/// completion order as completed<Out> (imap_unordered). Chunks are sent as the stream is
/// read, at most `window` ahead.
template <class Op, class Range, bool Ordered>
class cluster_stream {
 public:
  using out_t = output_t<Op>;
  using value_type = std::conditional_t<Ordered, out_t, completed<out_t>>;

  cluster_stream(std::shared_ptr<cluster_engine> e, const Op& op, Range&& in, std::size_t chunk, std::size_t window)
      : engine_(std::move(e)), op_(op), in_(std::forward<Range>(in)), chunk_(chunk == 0 ? 1 : chunk),
        window_(window == 0 ? 1 : window), state_(std::make_shared<detail::stream_state<out_t>>()) {
    state_->ordered = Ordered;
  }
  cluster_stream(cluster_stream&&) noexcept = default;
  cluster_stream& operator=(cluster_stream&&) = delete;
  /// Waits for the chunks already sent (they write into this stream's state).
  ~cluster_stream() {
    if (!state_) return;
    std::unique_lock lock(state_->m);
    state_->cv.wait(lock, [&] { return state_->done.size() + read_ >= sent_; });
  }

  /// The next output; std::nullopt at the end. Ordered: an item of a failed chunk throws.
  std::optional<value_type> next() {
    fill();
    std::unique_lock lock(state_->m);
    if constexpr (Ordered) {
      if (pos_ >= current_.size()) {
        if (read_ == sent_) return std::nullopt;
        state_->cv.wait(lock, [&] { return state_->done.count(read_) != 0; });
        auto node = state_->done.extract(read_);
        ++read_;
        lock.unlock();
        fill();
        if (node.mapped().index() == 1) std::rethrow_exception(std::get<1>(node.mapped()));
        current_ = std::move(std::get<0>(node.mapped()));
        pos_ = 0;
        if (current_.empty()) return next();
      }
      return std::move(current_[pos_++]);
    } else {
      if (state_->ready.empty()) {
        if (state_->done.size() + read_ >= sent_ && exhausted_) return std::nullopt;
        state_->cv.wait(lock, [&] { return !state_->ready.empty() || (state_->done.size() + read_ >= sent_ && exhausted_); });
        if (state_->ready.empty()) return std::nullopt;
      }
      completed<out_t> c = std::move(state_->ready.front());
      state_->ready.pop_front();
      // A chunk's items are all in `ready` once it is done: count it read.
      while (!state_->done.empty() && state_->ready.empty()) {
        state_->done.erase(state_->done.begin());
        ++read_;
      }
      lock.unlock();
      fill();
      return c;
    }
  }

  /// An input iterator over the stream.
  using iterator = detail::next_iterator<cluster_stream, value_type>;
  iterator begin() { return iterator(this); }
  std::default_sentinel_t end() const noexcept { return {}; }

 private:
  // Sends chunks until `window` are unread or the input ends.
  void fill() {
    if (!it_) it_.emplace(std::ranges::begin(in_));  // here, not at construction: the stream may have moved
    auto& it = *it_;
    while (!exhausted_ && sent_ - read_ < window_) {
      if (it == std::ranges::end(in_)) {
        exhausted_ = true;
        break;
      }
      std::vector<input_t<Op>> items;
      for (std::size_t i = 0; i < chunk_ && it != std::ranges::end(in_); ++i, ++it) items.push_back(*it);
      auto t = std::make_unique<detail::stream_task<out_t>>(state_, sent_);
      detail::encode_task(*t, op_, items.begin(), items.size(), offset_, {});
      offset_ += items.size();
      ++sent_;
      engine_->submit(std::move(t));
    }
  }

  std::shared_ptr<cluster_engine> engine_;
  Op op_;
  Range in_;
  std::optional<std::ranges::iterator_t<std::remove_reference_t<Range>>> it_;
  std::size_t chunk_, window_;
  std::shared_ptr<detail::stream_state<out_t>> state_;
  std::size_t sent_ = 0, read_ = 0, offset_ = 0, pos_ = 0;
  bool exhausted_ = false;
  std::vector<out_t> current_;
};

/// The indexes of futures in the order they become ready.
template <class T>
class completion_order {
 public:
  completion_order(std::shared_ptr<cluster_engine> e, std::vector<std::future<T>>& fs) : engine_(std::move(e)), fs_(fs) {
    for (std::size_t i = 0; i < fs.size(); ++i) pending_.push_back(i);
  }
  /// The index of the next future to become ready; std::nullopt when all have been given.
  std::optional<std::size_t> next() {
    while (!pending_.empty()) {
      const std::uint64_t seen = engine_ ? engine_->completions() : 0;
      for (auto it = pending_.begin(); it != pending_.end(); ++it) {
        if (fs_[*it].wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
          const std::size_t i = *it;
          pending_.erase(it);
          return i;
        }
      }
      if (engine_) engine_->wait_completion(seen, std::chrono::milliseconds(10));
      else fs_[pending_.front()].wait_for(std::chrono::milliseconds(1));
    }
    return std::nullopt;
  }
  using iterator = detail::next_iterator<completion_order, std::size_t>;
  iterator begin() { return iterator(this); }
  std::default_sentinel_t end() const noexcept { return {}; }

 private:
  std::shared_ptr<cluster_engine> engine_;
  std::vector<std::future<T>>& fs_;
  std::vector<std::size_t> pending_;
};

/// The executor that runs kernels on the worker ranks of an MPI job.
class cluster {
 public:
  static constexpr executor_kind kind = executor_kind::process_pool;

  /// True when the ranks can run `Op`: the process pool's rules (transportable input and
  /// output, not I/O-bound, a kernel object the rank can obtain).
  template <class Op>
  static constexpr bool admits = breakeven::detail::process_admits<std::remove_cvref_t<Op>>();

  /// The cluster of this process's session (mpi::session must exist).
  cluster() : cluster(require_session()) {}
  explicit cluster(session& s) : cluster(s, s.network()) {}
  /// The cluster of `s`, planning with the network terms `net` (ranks and cores are the job's).
  cluster(session& s, network_profile net) : net_(net) {
    net_.ranks = static_cast<unsigned>(s.size());
    net_.cores_per_rank = s.cores_per_rank();
    if (!s.coordinator()) throw std::logic_error("breakeven: only rank 0 coordinates; other ranks call session::serve()");
    engine_ = s.engine();
    local_ = std::make_shared<rank_context>(std::max(1u, std::thread::hardware_concurrency()));
  }

  /// Worker ranks (with one rank: the local cores).
  unsigned concurrency() const noexcept { return engine_ ? engine_->worker_ranks() : local_->cores(); }
  /// True when tasks go to other ranks.
  bool distributed() const noexcept { return engine_ != nullptr; }
  /// The network terms the plans use.
  const network_profile& network() const noexcept { return net_; }
  /// What ran where (empty with one rank).
  cluster_stats stats() const { return engine_ ? engine_->stats() : cluster_stats{}; }
  /// The tasks in flight, one line each (for diagnostics).
  std::string in_flight() const { return engine_ ? engine_->in_flight_report() : std::string(); }

  /// The cluster candidate for `n` items of `Op` against the local decision.
  template <class Op, profile_source P = default_profile>
  cluster_plan plan_for(std::size_t n, const call_options& o = {}) const {
    return decide_cluster(describe<Op>(), n, P::value, net_, o);
  }

  /// The items per task for `n` items of `Op`: the cluster plan's.
  template <class Op>
  std::size_t default_chunk(std::size_t n) const {
    if (n == 0) return 1;
    return std::max<std::size_t>(1, cluster_chunk(describe<Op>(), n, concurrency(), net_));
  }

  /// Runs `op(x)` on a rank. `timeout` (if nonzero) limits it: the rank runs it in a local
  /// worker process and kills that process past the limit (task_timeout).
  template <class Op>
  std::future<output_t<Op>> submit(const Op& op, const input_t<Op>& x, std::chrono::milliseconds timeout = {}) {
    static_assert(breakeven::detail::check_process_kernel<Op>());
    using Out = output_t<Op>;
    if (!engine_) {
      if (timeout.count() > 0 || kernel_traits<Op>::isolation) return local_->processes().submit(op, x, timeout);
      std::promise<Out> p;
      try {
        if constexpr (std::is_void_v<Out>) {
          op(x);
          p.set_value();
        } else {
          p.set_value(op(x));
        }
      } catch (...) {
        p.set_exception(std::current_exception());
      }
      return p.get_future();
    }
    auto t = std::make_unique<detail::value_task<Out>>();
    std::future<Out> f = t->promise.get_future();
    detail::encode_task(*t, op, &x, 1, 0, timeout);
    engine_->submit(std::move(t), timeout.count() > 0 ? std::chrono::nanoseconds{} : eager_window<Op>());
    return f;
  }

  /// `op(x)` on a rank, waiting for it: submit(op, x, timeout).get() without the future.
  /// A short task's submitter reads its own reply, so the round trip makes no system call
  /// beyond MPI's (a std::future costs one more to complete: in_place_result says why).
  template <class Op>
  output_t<Op> apply(const Op& op, const input_t<Op>& x, std::chrono::milliseconds timeout = {}) {
    static_assert(breakeven::detail::check_process_kernel<Op>());
    using Out = output_t<Op>;
    if (!engine_) {
      if (timeout.count() > 0 || kernel_traits<Op>::isolation) return local_->processes().apply(op, x, timeout);
      return op(x);
    }
    breakeven::detail::in_place_result<Out> result;
    auto t = std::make_unique<detail::apply_task<Out>>(result);
    detail::encode_task(*t, op, &x, 1, 0, timeout);
    engine_->submit(std::move(t), timeout.count() > 0 ? std::chrono::nanoseconds{} : eager_window<Op>());
    return result.get();
  }

  /// `out[i] = op(in[i])` for every item, in tasks of `s.chunk` items (0: the plan's), with
  /// at most `s.workers` tasks in flight (0: as many as the ranks take). Rethrows the error of
  /// the earliest failed task after every task has ended.
  template <class Op, std::ranges::input_range In, class Out>
  void bulk_map(const Op& op, In&& in, Out out, schedule s = {}) {
    static_assert(breakeven::detail::check_process_kernel<Op>());
    using O = output_t<Op>;
    if constexpr (!std::ranges::sized_range<In> || !std::ranges::forward_range<In>) {
      std::vector<input_t<Op>> items(std::ranges::begin(in), std::ranges::end(in));
      bulk_map(op, items, std::move(out), s);
    } else if (!engine_) {
      local_map(op, in, std::move(out), s);
    } else {
      const std::size_t n = static_cast<std::size_t>(std::ranges::size(in));
      const std::size_t chunk = s.chunk != 0 ? s.chunk : default_chunk<Op>(n);
      breakeven::detail::store_chunk_outputs<O>(out, n, chunk, [&](auto store) {
        run_chunks(op, std::ranges::begin(in), n, chunk, s.workers, std::move(store));
        return true;  // every chunk ran (or run_chunks threw the earliest error)
      });
    }
  }

  /// Runs `op` on every item for its effects, on the ranks; outputs are discarded.
  template <class Op, std::ranges::input_range In>
  void bulk_for_each(const Op& op, In&& in, schedule s = {}) {
    static_assert(breakeven::detail::check_process_kernel<Op>());
    if constexpr (!std::ranges::sized_range<In> || !std::ranges::forward_range<In>) {
      std::vector<input_t<Op>> items(std::ranges::begin(in), std::ranges::end(in));
      bulk_for_each(op, items, s);
    } else if (!engine_) {
      for (const auto& x : in) (void)op(x);
    } else {
      const std::size_t n = static_cast<std::size_t>(std::ranges::size(in));
      run_chunks(op, std::ranges::begin(in), n, s.chunk != 0 ? s.chunk : default_chunk<Op>(n), s.workers,
                 [](std::size_t, ipc::reader&, std::size_t) {});
    }
  }

  /// The outputs of `op` over `in`, in order (chunk 0: the plan's).
  template <class Op, std::ranges::input_range In>
  std::vector<output_t<Op>> map(const Op& op, In&& in, std::size_t chunk = 0) {
    static_assert(!std::is_void_v<output_t<Op>>, "breakeven: map needs an output type; use for_each for void kernels");
    using O = output_t<Op>;
    std::vector<O> result;
    if constexpr (ipc::detail::bytes_are_encoding<O> && std::default_initializable<O> && std::ranges::sized_range<In>) {
      result.resize(static_cast<std::size_t>(std::ranges::size(in)));
      bulk_map(op, std::forward<In>(in), result.data(), schedule{chunk, 0, true});
    } else {
      bulk_map(op, std::forward<In>(in), std::back_inserter(result), schedule{chunk, 0, true});
    }
    return result;
  }

  /// Runs `op` on every item for its effects (chunk 0: the plan's).
  template <class Op, std::ranges::input_range In>
  void for_each(const Op& op, In&& in, std::size_t chunk = 0) {
    bulk_for_each(op, std::forward<In>(in), schedule{chunk, 0, true});
  }

  /// The outputs of `op` over `in`, in order, as a lazy range: chunks are sent as it is
  /// read, at most 2 x ranks ahead. Reading an item of a failed chunk throws its error.
  /// `in` must outlive the range (an rvalue range is kept inside it).
  template <class Op, std::ranges::input_range In>
  auto imap(const Op& op, In&& in, std::size_t chunk = 0) {
    static_assert(breakeven::detail::check_process_kernel<Op>());
    require_ranks("imap");
    if (chunk == 0) {
      if constexpr (std::ranges::sized_range<In>) chunk = std::max<std::size_t>(1, default_chunk<Op>(std::ranges::size(in)) / 4);
      else chunk = 1;
    }
    return cluster_stream<Op, In, true>(engine_, op, std::forward<In>(in), chunk, 2 * concurrency());
  }

  /// The outputs of `op` over `in` in completion order, as completed<Out> (index and value or
  /// error). Chunks (default 1 item) are sent as the range is read.
  template <class Op, std::ranges::input_range In>
  auto imap_unordered(const Op& op, In&& in, std::size_t chunk = 1) {
    static_assert(breakeven::detail::check_process_kernel<Op>());
    require_ranks("imap_unordered");
    return cluster_stream<Op, In, false>(engine_, op, std::forward<In>(in), chunk, 2 * concurrency());
  }

  /// The indexes of `futures` (from submit) in the order they become ready.
  template <class T>
  completion_order<T> as_completed(std::vector<std::future<T>>& futures) {
    return completion_order<T>(engine_, futures);
  }

  /// The outputs of `op` over `in`, in order, on this process with the local decision
  /// (the local executors start at first use and stay warm).
  template <class Op, std::ranges::input_range In>
  std::vector<output_t<Op>> map_here(const Op& op, In&& in) {
    using O = output_t<Op>;
    std::vector<O> result;
    if constexpr (std::default_initializable<O> && std::ranges::sized_range<In>) {
      result.resize(static_cast<std::size_t>(std::ranges::size(in)));
      local_map(op, in, result.data(), {});
    } else {
      std::vector<input_t<Op>> items(std::ranges::begin(in), std::ranges::end(in));
      local_map(op, items, std::back_inserter(result), {});
    }
    return result;
  }

  /// Waits for every task; no more submissions (the session's end does this too).
  void join() {
    if (engine_) engine_->shutdown();
  }

 private:
  static session& require_session() {
    session* s = session::current();
    if (s == nullptr) throw std::logic_error("breakeven: create a breakeven::mpi::session first thing in main()");
    return *s;
  }
  void require_ranks(const char* what) const {
    if (!engine_)
      throw std::logic_error(std::string("breakeven: cluster::") + what +
                             " needs worker ranks; with one rank use the local executors' streams");
  }

  // One rank: the local decision on this process.
  template <class Op, class In, class Out>
  void local_map(const Op& op, In& in, Out out, schedule s) {
    const std::size_t n = static_cast<std::size_t>(std::ranges::size(in));
    const plan p = decide(describe<Op>(), n, local_->profile(), local_->options());
    const schedule use = s.chunk != 0 || s.workers != 0 ? s : p.schedule();
    if (p.kind == executor_kind::thread_pool) {
      if constexpr (thread_pool::admits<Op>) {
        local_->threads().bulk_map(op, in, std::move(out), use);
        return;
      }
    }
    if (p.kind == executor_kind::process_pool || p.kind == executor_kind::shared_memory) {
      local_->processes().bulk_map(op, in, std::move(out), use);
      return;
    }
    for (const auto& x : in) {
      if constexpr (std::is_void_v<output_t<Op>>) op(x);
      else *out++ = op(x);
    }
  }

  template <class Op, class It, class Store>
  void run_chunks(const Op& op, It first, std::size_t n, std::size_t chunk, unsigned cap, Store store) {
    auto b = std::make_shared<breakeven::detail::batch_state>();
    try {
      for (std::size_t at = 0; at < n; at += chunk) {
        const std::size_t k = std::min(chunk, n - at);
        if (cap != 0) b->wait_below(cap - 1);
        auto t = std::make_unique<detail::chunk_task<Store>>(b, k, store);
        detail::encode_task(*t, op, first, k, at, {});
        b->started();
        try {
          engine_->submit(std::move(t));
        } catch (...) {
          b->failed(std::current_exception(), at);
          throw;
        }
        std::ranges::advance(first, static_cast<std::iter_difference_t<It>>(k));
      }
    } catch (...) {
      b->wait_below(0);  // tasks already sent write into the caller's memory: let them end
      throw;
    }
    b->wait_all();
  }

  // How long submit reads the reply itself, for a kernel declared to cost at most 200 us:
  // twice the expected wait (the cost, two round trips of the network's latency, the
  // coordinator's own cost per task) plus 10 us, at most 200 us. None for a kernel without
  // a declared cost or a longer one: its submitter would only spin.
  template <class Op>
  std::chrono::nanoseconds eager_window() const {
    constexpr std::int64_t cost = kernel_traits<Op>::cost_ns;
    if constexpr (cost < 0) {
      return {};
    } else {
      constexpr std::chrono::nanoseconds cap = std::chrono::microseconds(200);
      const auto trip = std::chrono::nanoseconds(static_cast<std::int64_t>(4 * net_.latency_ns + net_.task_ns));
      const auto w = 2 * (std::chrono::nanoseconds(cost) + trip) + std::chrono::microseconds(10);
      return std::chrono::nanoseconds(cost) > cap ? std::chrono::nanoseconds{} : std::min(w, cap);
    }
  }

  network_profile net_;
  std::shared_ptr<cluster_engine> engine_;
  std::shared_ptr<rank_context> local_;
};

/// `op` over `in`, where the plan says: on the ranks when the cluster clears the local plan
/// by the profile's margins, otherwise with the local decision on this process (the same
/// tree, one level up). BREAKEVEN_DEBUG prints the cluster plan's explanation.
template <class Op, std::ranges::input_range In, profile_source P = default_profile>
std::vector<output_t<Op>> map(cluster& ex, const Op& op, In&& in) {
  const std::size_t n = static_cast<std::size_t>(std::ranges::size(in));
  const cluster_plan c = ex.plan_for<Op, P>(n);
  if (debug_enabled()) std::fprintf(stderr, "breakeven: %s\n", std::string(explain(c).view()).c_str());
  if (c.use_cluster() && ex.distributed()) return ex.map(op, std::forward<In>(in), c.chunk);
  return ex.map_here(op, std::forward<In>(in));
}

}  // namespace breakeven::mpi
