// breakeven/executor/process_pool.hpp - the process pool executor: kernels run in worker
// processes; inputs and outputs cross as frames through shared-memory rings.
//
// Python's Pool and ProcessPoolExecutor in one: submit -> std::future, map with a chunk
// size (derived from the plan unless given), map_async, imap (lazy, ordered), imap_unordered
// and as_completed (completion order), a per-worker initializer, max tasks per child, a task
// timeout, and RAII shutdown. Every submitted task ends in exactly one value or one error:
// an exception thrown in a worker comes back with its type (standard types, registered
// ones; remote_error otherwise), a worker that dies fails only the task it held
// (worker_lost names the signal or status) and is replaced, a task past its timeout kills
// its worker (task_timeout).
//
// Destruction closes the pool and waits for every task already submitted; terminate()
// instead kills the workers and fails what has not finished. See docs/process_pool.md.
#pragma once

#include <breakeven/executor.hpp>
#include <breakeven/executor/detail/process_engine.hpp>
#include <breakeven/limits.hpp>
#include <breakeven/fwd.hpp>
#include <breakeven/ipc/codec.hpp>
#include <breakeven/ipc/entry.hpp>
#include <breakeven/operation.hpp>
#include <breakeven/transport.hpp>

#include <algorithm>
#include <chrono>
#include <concepts>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <iterator>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <ranges>
#include <stop_token>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace breakeven {

namespace detail {

// Never defined: the compiler's error names the offending type in the template argument.
template <class Input>
struct process_pool_input_type_is_not_transportable_describe_it_with_BOOST_HANA_DEFINE_STRUCT_or_if_it_is_raw_bytes_set_enable_bitwise_transport;
template <class Output>
struct process_pool_output_type_is_not_transportable_describe_it_with_BOOST_HANA_DEFINE_STRUCT_or_if_it_is_raw_bytes_set_enable_bitwise_transport;
template <class Kernel>
struct process_pool_kernel_parameters_cannot_travel_describe_the_kernel_with_BOOST_HANA_DEFINE_STRUCT_or_if_they_are_raw_bytes_set_enable_bitwise_transport;
template <class Kernel>
struct process_pool_refuses_io_bound_kernel;
template <class Kernel>
struct process_pool_kernel_is_neither_transportable_nor_default_constructible;

// An iterator over contiguous memory of T: outputs can be decoded in place.
template <class It, class T>
concept contiguous_of = std::contiguous_iterator<It> && std::same_as<std::iter_value_t<It>, T>;

/// Runs a bulk map's chunks through `run(store)`, with the store that puts each chunk's
/// outputs (`store(first_item, reader, count)`, on whichever thread completes the chunk)
/// where `out` wants them: nowhere for a void kernel; decoded in place into contiguous memory
/// of values whose bytes are their encoding; otherwise per chunk, moved to `out` in order
/// once every chunk has ended. `run` returns false when chunks were dropped (then nothing
/// moves to `out`); so does this. The process pool and the cluster executor share it.
template <class O, class Out, class Run>
bool store_chunk_outputs(Out& out, std::size_t n, std::size_t chunk, Run&& run) {
  if constexpr (std::is_void_v<O>) {
    return run([](std::size_t, ipc::reader&, std::size_t) {});
  } else if constexpr (contiguous_of<Out, O> && ipc::detail::bytes_are_encoding<O>) {
    O* base = std::to_address(out);
    return run([base](std::size_t at, ipc::reader& r, std::size_t k) { ipc::detail::decode_array(r, base + at, k); });
  } else {
    std::vector<std::vector<O>> parts(n == 0 ? 0 : (n + chunk - 1) / chunk);
    const bool all = run([&parts, chunk](std::size_t at, ipc::reader& r, std::size_t k) {
      std::vector<O>& p = parts[at / chunk];
      p.reserve(k);
      for (std::size_t i = 0; i < k; ++i) p.push_back(ipc::decode<O>(r));
    });
    if (all)
      for (auto& p : parts) out = std::ranges::move(p, std::move(out)).out;
    return all;
  }
}

template <class Op>
consteval bool process_admits() {
  if constexpr (!operation<Op>) {
    return false;
  } else {
    using Out = output_t<Op>;
    return transportable<input_t<Op>> && (std::is_void_v<Out> || transportable<Out>) &&
           (kernel_traits<Op>::bound != bound::io || kernel_traits<Op>::isolation) && ipc::kernel_object_obtainable<Op>;
  }
}

// The checks every entry point makes first: one error naming the type, then the rule.
template <class Op>
consteval bool check_process_kernel() {
  check_operation<Op>();
  using In = input_t<Op>;
  using Out = output_t<Op>;
  if constexpr (!transportable<In>) {
    (void)sizeof(process_pool_input_type_is_not_transportable_describe_it_with_BOOST_HANA_DEFINE_STRUCT_or_if_it_is_raw_bytes_set_enable_bitwise_transport<In>);
  }
  if constexpr (!std::is_void_v<Out> && !transportable<Out>) {
    (void)sizeof(process_pool_output_type_is_not_transportable_describe_it_with_BOOST_HANA_DEFINE_STRUCT_or_if_it_is_raw_bytes_set_enable_bitwise_transport<Out>);
  }
  // I/O-bound kernels stay in the caller's process, unless they require isolation.
  if constexpr (kernel_traits<Op>::bound == bound::io && !kernel_traits<Op>::isolation) {
    (void)sizeof(process_pool_refuses_io_bound_kernel<Op>);
  }
  if constexpr (ipc::kernel_parameters_stranded<Op>) {
    (void)sizeof(process_pool_kernel_parameters_cannot_travel_describe_the_kernel_with_BOOST_HANA_DEFINE_STRUCT_or_if_they_are_raw_bytes_set_enable_bitwise_transport<Op>);
  } else if constexpr (!ipc::kernel_object_obtainable<Op>) {
    (void)sizeof(process_pool_kernel_is_neither_transportable_nor_default_constructible<Op>);
  }
  return true;
}

// Encodes one chunk's task frame.
template <class Op, class It>
task_ptr make_chunk_request(task_ptr t, const Op& op, It first, std::size_t n) {
  if (n > std::numeric_limits<std::uint32_t>::max()) throw std::length_error("breakeven: a chunk holds at most 2^32-1 items");
  using In = input_t<Op>;
  std::vector<std::byte>& buf = t->request;
  buf.reserve(sizeof(ipc::frame_header) + 32 + n * sizeof(In));
  const std::size_t at = ipc::begin_frame(buf, ipc::frame_type::task, 0);
  {
    ipc::writer w(buf);
    ipc::encode_chunk(w, op, first, static_cast<std::uint32_t>(n));
  }
  ipc::finish_frame(buf, at);
  t->kernel_name = kernel_traits<Op>::name;
  t->steady = kernel_traits<Op>::variance == variance::low;
  return t;
}

// How long a submitter reads the answer itself (see process_engine::submit): when the
// kernel's declared cost says the answer comes within the spin budget, twice that plus 5 us.
template <class Op>
std::chrono::nanoseconds eager_window(std::size_t items, std::chrono::microseconds spin) {
  constexpr std::int64_t cost = kernel_traits<Op>::cost_ns;
  if constexpr (cost < 0) {
    return {};
  } else {
    const auto expected = std::chrono::nanoseconds(cost * static_cast<std::int64_t>(items));
    if (expected > spin) return {};
    return std::min<std::chrono::nanoseconds>(spin, 2 * expected + std::chrono::microseconds(5));
  }
}

// Reads a one-item answer's count, which must be 1.
inline void expect_one_item(ipc::reader& r) {
  if (r.get<std::uint32_t>() != 1) r.fail("a task of one item answered with another count", 0);
}

template <class Out>
class promise_task final : public process_task {
 public:
  std::promise<Out> promise;
  void complete(ipc::reader& r) override {
    expect_one_item(r);
    if constexpr (!std::is_void_v<Out>) value_.emplace(ipc::decode<Out>(r));
  }
  void publish() noexcept override {
    if constexpr (std::is_void_v<Out>) promise.set_value();
    else promise.set_value(std::move(*value_));
  }
  void fail(std::exception_ptr e) noexcept override { promise.set_exception(e); }

 private:
  struct none {};
  std::conditional_t<std::is_void_v<Out>, none, std::optional<Out>> value_;
};

// One task's outcome, waited for in place by its submitter (apply): the value or the error
// lands in the caller's frame, and the caller is woken only if it sleeps. Completing a
// std::promise costs a system call every time on Linux (libstdc++'s call_once runs glibc's
// pthread_once, whose slow path always ends in a futex wake: about 0.9 us on this
// project's VMs); this costs none when the submitter reads its own answer.
template <class Out>
class in_place_result {
 public:
  /// Waits for the task, then returns its value or throws its error.
  Out get() {
    std::unique_lock lock(m_);  // taken after the completer let go: the result may then go
    cv_.wait(lock, [&] { return done_; });
    if (error_) std::rethrow_exception(error_);
    if constexpr (!std::is_void_v<Out>) return std::move(*value_);
  }
  /// Stores the value before finish(nullptr) makes it visible (the waiter reads it only then).
  template <class... A>
  void emplace(A&&... a) {
    value_.emplace(std::forward<A>(a)...);
  }
  /// Ends the task: its error, or none. Notifies under the lock: the waiter cannot leave
  /// (and free this) before it returns.
  void finish(std::exception_ptr e) noexcept {
    const std::lock_guard lock(m_);
    error_ = std::move(e);
    done_ = true;
    cv_.notify_one();
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool done_ = false;  // (m_)
  std::optional<std::conditional_t<std::is_void_v<Out>, char, Out>> value_;
  std::exception_ptr error_;
};

// A task of apply(): its outcome goes to the submitter's in_place_result. A task dropped
// unanswered ends it with broken_promise, as a std::future would.
template <class Out, class Base>
class in_place_task_base : public Base {
 public:
  explicit in_place_task_base(in_place_result<Out>& r) noexcept : result_(&r) {}
  ~in_place_task_base() override {
    if (result_ != nullptr) end(std::make_exception_ptr(std::future_error(std::future_errc::broken_promise)));
  }
  in_place_task_base(const in_place_task_base&) = delete;
  in_place_task_base& operator=(const in_place_task_base&) = delete;
  void fail(std::exception_ptr e) noexcept override { end(std::move(e)); }

 protected:
  // Decodes a one-item answer into the result (not yet visible).
  void decode(ipc::reader& r) {
    expect_one_item(r);
    if constexpr (std::is_void_v<Out>) result_->emplace('\0');
    else result_->emplace(ipc::decode<Out>(r));
  }
  void end(std::exception_ptr e) noexcept { std::exchange(result_, nullptr)->finish(std::move(e)); }

 private:
  in_place_result<Out>* result_;
};

template <class Out>
class in_place_task final : public in_place_task_base<Out, process_task> {
 public:
  using in_place_task_base<Out, process_task>::in_place_task_base;
  void complete(ipc::reader& r) override { this->decode(r); }
  void publish() noexcept override { this->end(nullptr); }
};

// The shared state of one bulk call: chunks outstanding and the first error by position.
class batch_state {
 public:
  void started() {
    std::lock_guard lock(m_);
    ++started_;
  }
  void done() { end(nullptr, 0); }
  void failed(std::exception_ptr e, std::size_t offset) { end(e, offset); }
  /// Waits until at most `in_flight` chunks are unfinished.
  void wait_below(std::size_t in_flight) {
    std::unique_lock lock(m_);
    cv_.wait(lock, [&] { return started_ - finished_ <= in_flight; });
  }
  /// Waits for every started chunk; rethrows the error of the earliest failed chunk.
  void wait_all() {
    wait_below(0);
    std::lock_guard lock(m_);
    if (error_) std::rethrow_exception(error_);
  }
  std::exception_ptr error() const {
    std::lock_guard lock(m_);
    return error_;
  }

 private:
  void end(std::exception_ptr e, std::size_t offset) {
    bool fire;
    {
      std::lock_guard lock(m_);
      if (e && offset < error_at_) {
        error_ = e;
        error_at_ = offset;
      }
      ++finished_;
      fire = on_all_ && sealed_ && finished_ == started_;
      cv_.notify_all();
    }
    if (fire) on_all_();
  }

 public:
  /// For map_async: called once every chunk has ended, after seal(). Set before launching.
  std::function<void()> on_all_;
  /// Declares that no more chunks will start.
  void seal() {
    bool fire;
    {
      std::lock_guard lock(m_);
      sealed_ = true;
      fire = on_all_ && finished_ == started_;
    }
    if (fire) on_all_();
  }

 private:
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::size_t started_ = 0, finished_ = 0, error_at_ = std::numeric_limits<std::size_t>::max();
  std::exception_ptr error_;
  bool sealed_ = false;
};

// One chunk of a bulk call; `Store` receives (offset, reader, count) on the pool's thread.
template <class Store>
class chunk_task final : public process_task {
 public:
  chunk_task(std::shared_ptr<batch_state> b, std::size_t offset, std::size_t count, Store store)
      : batch_(std::move(b)), offset_(offset), count_(count), store_(std::move(store)) {}
  void complete(ipc::reader& r) override {
    if (r.get<std::uint32_t>() != count_) r.fail("a chunk answered with another count of values", 0);
    store_(offset_, r, count_);
  }
  void publish() noexcept override { batch_->done(); }
  void fail(std::exception_ptr e) noexcept override { batch_->failed(e, offset_); }

 private:
  std::shared_ptr<batch_state> batch_;
  std::size_t offset_, count_;
  Store store_;
};

}  // namespace detail

/// One result of an unordered stream: the index of its input, and its value or error.
template <class T>
class completed {
 public:
  completed(std::size_t index, T value) : index_(index), v_(std::move(value)) {}
  completed(std::size_t index, std::exception_ptr e) : index_(index), v_(std::move(e)) {}
  /// The position of the input this result belongs to.
  std::size_t index() const noexcept { return index_; }
  /// True when the kernel returned a value.
  bool has_value() const noexcept { return v_.index() == 0; }
  /// The value, or the worker's exception rethrown.
  T& get() {
    if (v_.index() == 1) std::rethrow_exception(std::get<1>(v_));
    return std::get<0>(v_);
  }
  /// The error, or nullptr.
  std::exception_ptr error() const noexcept { return v_.index() == 1 ? std::get<1>(v_) : nullptr; }

 private:
  std::size_t index_;
  std::variant<T, std::exception_ptr> v_;
};

namespace detail {
// What the library's own executors built on a process pool (shared memory) use of it: the
// engine's task queue and its options. Not part of the public API (tests of the task
// protocol use it too).
struct process_pool_access {
  static void submit(process_pool& p, task_ptr t, std::chrono::nanoseconds eager = {});
  static const process_pool_options& options(const process_pool& p) noexcept;
};
}  // namespace detail

/// The executor that runs kernels in worker processes.
class process_pool {
 public:
  static constexpr executor_kind kind = executor_kind::process_pool;

  /// True when this executor can run `Op`: input and output transportable, not I/O-bound,
  /// a kernel object the worker can obtain (transportable or default-constructible).
  template <class Op>
  static constexpr bool admits = detail::process_admits<std::remove_cvref_t<Op>>();

  /// A pool of `workers` processes (0: one per hardware thread), started by the fork server.
  explicit process_pool(unsigned workers = 0) : process_pool(process_pool_options{.workers = workers}) {}
  explicit process_pool(const process_pool_options& o) : engine_(std::make_shared<detail::process_engine>(o)) {}
  process_pool(process_pool&&) noexcept = default;
  process_pool& operator=(process_pool&& o) noexcept {
    if (this != &o) {
      if (engine_) engine_->shutdown();
      engine_ = std::move(o.engine_);
    }
    return *this;
  }
  /// Closes the pool and waits for every submitted task (join()).
  ~process_pool() {
    if (engine_) engine_->shutdown();
  }

  /// The number of worker processes.
  unsigned concurrency() const noexcept { return engine_->workers(); }
  start_method method() const noexcept { return engine_->method(); }
  process_pool_stats stats() const { return engine_->stats(); }

  /// Runs `op(x)` in a worker. `timeout` (if nonzero) overrides the pool's task timeout.
  template <class Op>
  std::future<output_t<Op>> submit(const Op& op, const input_t<Op>& x, std::chrono::milliseconds timeout = {}) {
    static_assert(detail::check_process_kernel<Op>());
    auto t = std::make_unique<detail::promise_task<output_t<Op>>>();
    t->timeout = timeout;
    std::future<output_t<Op>> f = t->promise.get_future();
    engine_->submit(detail::make_chunk_request(std::move(t), op, &x, 1),
                    detail::eager_window<Op>(1, engine_->options().spin));
    return f;
  }

  /// `op(x)` in a worker, waiting for it: submit(op, x, timeout).get() without the future.
  /// A short task's submitter reads its own answer, so the round trip makes no system call
  /// beyond the transport's (completing a std::future costs one more: in_place_result).
  template <class Op>
  output_t<Op> apply(const Op& op, const input_t<Op>& x, std::chrono::milliseconds timeout = {}) {
    static_assert(detail::check_process_kernel<Op>());
    detail::in_place_result<output_t<Op>> result;
    auto t = std::make_unique<detail::in_place_task<output_t<Op>>>(result);
    t->timeout = timeout;
    engine_->submit(detail::make_chunk_request(std::move(t), op, &x, 1), detail::eager_window<Op>(1, engine_->options().spin));
    return result.get();
  }

  /// `out[i] = op(in[i])` for every item, in chunks of `s.chunk` (0: default_chunk),
  /// with at most `s.workers` chunks in flight (0: no cap). Rethrows the error of the
  /// earliest failed chunk after every chunk has ended.
  template <class Op, std::ranges::input_range In, class Out>
  void bulk_map(const Op& op, In&& in, Out out, schedule s = {}) {
    run_bulk_map(op, std::forward<In>(in), std::move(out), s, nullptr);
  }

  /// bulk_map that sends no chunk once `stop` is requested: at most 2 x workers chunks (or
  /// `s.workers`) are in flight at a time, and those finish in their workers. Returns true
  /// when every item ran. (A void kernel's `out` is not used.)
  template <class Op, std::ranges::input_range In, class Out>
  bool bulk_map(const Op& op, In&& in, Out out, schedule s, std::stop_token stop) {
    if (s.workers == 0) s.workers = 2 * concurrency();
    return run_bulk_map(op, std::forward<In>(in), std::move(out), s, &stop);
  }

  /// Runs `op` on every item for its effects, in the workers; outputs are discarded.
  /// Rethrows the error of the earliest failed chunk after every chunk has ended.
  template <class Op, std::ranges::input_range In>
  void bulk_for_each(const Op& op, In&& in, schedule s = {}) {
    static_assert(detail::check_process_kernel<Op>());
    if constexpr (!std::ranges::sized_range<In> || !std::ranges::forward_range<In>) {
      std::vector<input_t<Op>> items(std::ranges::begin(in), std::ranges::end(in));
      bulk_for_each(op, items, s);
    } else {
      const std::size_t n = static_cast<std::size_t>(std::ranges::size(in));
      run_chunks(op, std::ranges::begin(in), n, s.chunk != 0 ? s.chunk : default_chunk<Op>(n), s.workers,
                 [](std::size_t, ipc::reader&, std::size_t) {});
    }
  }

  /// bulk_for_each that sends no chunk once `stop` is requested (as the stoppable bulk_map);
  /// returns true when every item ran.
  template <class Op, std::ranges::input_range In>
  bool bulk_for_each(const Op& op, In&& in, schedule s, std::stop_token stop) {
    static_assert(detail::check_process_kernel<Op>());
    if (s.workers == 0) s.workers = 2 * concurrency();
    if constexpr (!std::ranges::sized_range<In> || !std::ranges::forward_range<In>) {
      std::vector<input_t<Op>> items(std::ranges::begin(in), std::ranges::end(in));
      return bulk_for_each(op, items, s, std::move(stop));
    } else {
      const std::size_t n = static_cast<std::size_t>(std::ranges::size(in));
      return run_chunks(op, std::ranges::begin(in), n, s.chunk != 0 ? s.chunk : default_chunk<Op>(n), s.workers,
                        [](std::size_t, ipc::reader&, std::size_t) {}, &stop);
    }
  }

  /// The outputs of `op` over `in`, in order (chunk 0: default_chunk).
  template <class Op, std::ranges::input_range In>
  std::vector<output_t<Op>> map(const Op& op, In&& in, std::size_t chunk = 0) {
    static_assert(detail::check_process_kernel<Op>());
    static_assert(!std::is_void_v<output_t<Op>>, "breakeven: map needs an output type; use bulk_map for void kernels");
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

  /// map, started now, ended in the returned future. The inputs are encoded before it
  /// returns, so `in` need not outlive the call.
  template <class Op, std::ranges::input_range In>
  std::future<std::vector<output_t<Op>>> map_async(const Op& op, In&& in, std::size_t chunk = 0) {
    static_assert(detail::check_process_kernel<Op>());
    using O = output_t<Op>;
    std::vector<input_t<Op>> items(std::ranges::begin(in), std::ranges::end(in));
    const std::size_t n = items.size();
    if (chunk == 0) chunk = default_chunk<Op>(n);
    struct state {
      std::vector<std::vector<O>> parts;
      std::promise<std::vector<O>> promise;
    };
    auto st = std::make_shared<state>();
    st->parts.resize(n == 0 ? 0 : (n + chunk - 1) / chunk);
    auto fut = st->promise.get_future();
    auto b = std::make_shared<detail::batch_state>();
    b->on_all_ = [st, wb = std::weak_ptr<detail::batch_state>(b)] {
      auto bb = wb.lock();
      if (std::exception_ptr e = bb ? bb->error() : nullptr) {
        st->promise.set_exception(e);
        return;
      }
      std::vector<O> all;
      for (auto& p : st->parts) std::ranges::move(p, std::back_inserter(all));
      st->promise.set_value(std::move(all));
    };
    // If a submission throws (closed pool), the batch is never sealed: chunks already
    // submitted end on their own, and the caller gets the error instead of a future.
    launch(op, items.begin(), n, chunk, b, 0, [st, chunk](std::size_t at, ipc::reader& r, std::size_t k) {
      std::vector<O>& p = st->parts[at / chunk];
      p.reserve(k);
      for (std::size_t i = 0; i < k; ++i) p.push_back(ipc::decode<O>(r));
    });
    b->seal();
    return fut;
  }

  /// The outputs of `op` over `in`, in order, as a lazy range: chunks are submitted as the
  /// range is read, at most 2 x workers ahead. Reading an item of a failed chunk throws its
  /// error. `in` must outlive the range (an rvalue range is kept inside it).
  template <class Op, std::ranges::input_range In>
  auto imap(const Op& op, In&& in, std::size_t chunk = 0);

  /// The outputs of `op` over `in` in completion order, as completed<Out> (index and value
  /// or error). Chunks (default 1 item) are submitted as the range is read.
  template <class Op, std::ranges::input_range In>
  auto imap_unordered(const Op& op, In&& in, std::size_t chunk = 1);

  /// The indexes of `futures` (from this pool) in the order they become ready.
  template <class T>
  auto as_completed(std::vector<std::future<T>>& futures);

  /// The chunk size for `n` items of `Op` when the caller gives none (a call through
  /// breakeven::map always runs the plan's): an even split, four chunks per worker so that
  /// encoding, transfer and work overlap, and no more items than fit a quarter of a ring.
  /// The pool plans nothing: schedules by cost are decide()'s.
  template <class Op>
  std::size_t default_chunk(std::size_t n) const {
    if (n == 0) return 1;
    const std::size_t per_worker = 4;
    const std::size_t w = concurrency();
    std::size_t c = std::max<std::size_t>(1, (n + w * per_worker - 1) / (w * per_worker));
    const std::size_t item_bytes = std::max<std::size_t>({1, kernel_traits<Op>::bytes_in, kernel_traits<Op>::bytes_out});
    const std::size_t ring = ipc::duplex_mapping::round_capacity(engine_->options().ring_bytes);
    c = std::min(c, std::max<std::size_t>(1, ring / breakeven::limits::process_task_ring_fraction / item_bytes));
    return c;
  }

  /// No more submissions; submitted work still runs.
  void close() { engine_->close(); }
  /// close(), then wait for every submitted task and stop the workers.
  void join() { engine_->shutdown(); }
  /// Kills the workers; every unfinished task fails with pool_closed; then join().
  void terminate() {
    engine_->terminate();
    engine_->shutdown();
  }

 private:
  friend struct detail::process_pool_access;

  // Submits the chunks of [first, first + n); `store` receives each chunk's values.
  template <class Op, class It, class Store>
  bool launch(const Op& op, It first, std::size_t n, std::size_t chunk, const std::shared_ptr<detail::batch_state>& b,
              unsigned cap, Store store, const std::stop_token* stop = nullptr) {
    for (std::size_t at = 0; at < n; at += chunk) {
      const std::size_t k = std::min(chunk, n - at);
      if (cap != 0) b->wait_below(cap - 1);
      if (stop != nullptr && stop->stop_requested()) return false;  // chunks not sent are dropped
      auto t = std::make_unique<detail::chunk_task<Store>>(b, at, k, store);
      auto req = detail::make_chunk_request(std::move(t), op, first, k);
      b->started();
      try {
        engine_->submit(std::move(req));
      } catch (...) {
        b->failed(std::current_exception(), at);
        throw;
      }
      std::ranges::advance(first, static_cast<std::iter_difference_t<It>>(k));
    }
    return true;
  }

  template <class Op, std::ranges::input_range In, class Out>
  bool run_bulk_map(const Op& op, In&& in, Out out, schedule s, const std::stop_token* stop) {
    static_assert(detail::check_process_kernel<Op>());
    using O = output_t<Op>;
    if constexpr (!std::ranges::sized_range<In> || !std::ranges::forward_range<In>) {
      std::vector<input_t<Op>> items(std::ranges::begin(in), std::ranges::end(in));
      return run_bulk_map(op, items, std::move(out), s, stop);
    } else {
      const std::size_t n = static_cast<std::size_t>(std::ranges::size(in));
      const std::size_t chunk = s.chunk != 0 ? s.chunk : default_chunk<Op>(n);
      return detail::store_chunk_outputs<O>(out, n, chunk, [&](auto store) {
        return run_chunks(op, std::ranges::begin(in), n, chunk, s.workers, std::move(store), stop);
      });
    }
  }

  // launch(), then wait for every chunk; rethrows the earliest chunk's error.
  // With `stop`: chunks not yet sent when it is requested are dropped; returns false then.
  template <class Op, class It, class Store>
  bool run_chunks(const Op& op, It first, std::size_t n, std::size_t chunk, unsigned cap, Store store,
                  const std::stop_token* stop = nullptr) {
    auto b = std::make_shared<detail::batch_state>();
    bool all = true;
    try {
      all = launch(op, first, n, chunk, b, cap, std::move(store), stop);
    } catch (...) {
      b->wait_below(0);  // chunks already submitted write into the caller's memory: let them end
      throw;
    }
    b->wait_all();
    return all;
  }

  std::shared_ptr<detail::process_engine> engine_;
};

namespace detail {
inline void process_pool_access::submit(process_pool& p, task_ptr t, std::chrono::nanoseconds eager) {
  p.engine_->submit(std::move(t), eager);
}
inline const process_pool_options& process_pool_access::options(const process_pool& p) noexcept {
  return p.engine_->options();
}
}  // namespace detail

}  // namespace breakeven

#include <breakeven/executor/detail/process_ranges.hpp>
