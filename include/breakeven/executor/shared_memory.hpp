// breakeven/executor/shared_memory.hpp - the shared-memory executor: the process pool's
// workers, with the items of a call in a shared segment instead of in the frames.
//
// The lecture's slides 2, 3 and 8, and the decision tree's step 2: when a task's payload is large, moving it
// through a pipe costs more than the work. Here only parameterization crosses the process
// boundary - offsets, lengths and counts - while inputs and outputs live in one anonymous
// memfd segment that the caller and every worker map (shm/arena.hpp). Inputs that already
// lie in the segment (a shared_buffer the caller filled) are read where they are; outputs
// are constructed where they belong: in a shared_buffer that map() returns, or in the
// caller's shared memory; other inputs and outputs are copied in and out, one chunk at a
// time while workers run the others.
//
// Failures: an item that throws fails alone (the worker goes on with the next); a worker
// that dies fails the items it had not finished, with worker_lost naming the signal, and
// is replaced. try_bulk_map and try_map return a bulk_report of the failed items while
// every other output stands; bulk_map and map rethrow the error of the lowest failed item
// with its type, as every executor does. See docs/shared_memory.md.
#pragma once

#include <breakeven/detail/decl.hpp>
#include <breakeven/executor.hpp>
#include <breakeven/executor/bulk.hpp>
#include <breakeven/executor/process_pool.hpp>
#include <breakeven/fwd.hpp>
#include <breakeven/row_view.hpp>
#include <breakeven/shm/arena.hpp>
#include <breakeven/shm/buffer.hpp>
#include <breakeven/shm/entry.hpp>
#include <breakeven/shm/report.hpp>

#include <algorithm>
#include <atomic>
#include <concepts>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <future>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <ranges>
#include <stop_token>
#include <type_traits>
#include <utility>
#include <vector>

namespace breakeven {

/// How a shared_memory_pool is made: its worker processes and its segment.
struct shared_memory_options {
  process_pool_options processes{};  ///< workers, start method, timeouts (the segment is added to worker_fds)
  shm::arena_options segment{};      ///< what the segment keeps for reuse
};

/// What a shared_memory_pool has done: its workers' tasks and its segment.
struct shared_memory_stats {
  process_pool_stats processes;
  shm::arena_stats segment;
};

/// The outputs of try_map in a shared buffer, and the items that failed.
template <class T>
struct mapped {
  shared_buffer<T> values;
  bulk_report report;
};

namespace detail {

// Never defined: the compiler's error names the offending type in the template argument.
template <class Input>
struct shared_memory_input_is_neither_a_trivially_copyable_value_nor_a_row_view_of_them;
template <class Output>
struct shared_memory_output_is_not_a_trivially_copyable_value;
template <class Kernel>
struct shared_memory_pool_refuses_io_bound_kernel;
template <class Kernel>
struct shared_memory_kernel_is_neither_transportable_nor_default_constructible;
template <class Kernel>
struct shared_memory_kernel_parameters_cannot_travel_describe_the_kernel_with_BOOST_HANA_DEFINE_STRUCT_or_if_they_are_raw_bytes_set_enable_bitwise_transport;

// An output the segment can hold: none, or a shm_value.
template <class T>
concept shm_output = std::is_void_v<T> || shm_value<T>;

template <class Op>
consteval bool shm_admits() {
  if constexpr (operation<Op>)
    return shm_item<input_t<Op>> && shm_output<output_t<Op>> &&
           (kernel_traits<Op>::bound != bound::io || kernel_traits<Op>::isolation) &&
           ipc::kernel_object_obtainable<Op>;
  return false;
}

// The checks every entry point makes first: one error naming the type, then the rule.
template <class Op>
consteval bool check_shm_kernel() {
  check_operation<Op>();
  if constexpr (operation<Op>) {
    using In = input_t<Op>;
    using Out = output_t<Op>;
    if constexpr (!shm_item<In>) {
      (void)sizeof(shared_memory_input_is_neither_a_trivially_copyable_value_nor_a_row_view_of_them<In>);
    }
    if constexpr (!shm_output<Out>) {
      (void)sizeof(shared_memory_output_is_not_a_trivially_copyable_value<Out>);
    }
    // I/O-bound kernels stay in the caller's process, unless they require isolation.
    if constexpr (kernel_traits<Op>::bound == bound::io && !kernel_traits<Op>::isolation) {
      (void)sizeof(shared_memory_pool_refuses_io_bound_kernel<Op>);
    }
    if constexpr (ipc::kernel_parameters_stranded<Op>) {
      (void)sizeof(shared_memory_kernel_parameters_cannot_travel_describe_the_kernel_with_BOOST_HANA_DEFINE_STRUCT_or_if_they_are_raw_bytes_set_enable_bitwise_transport<Op>);
    } else if constexpr (!ipc::kernel_object_obtainable<Op>) {
      (void)sizeof(shared_memory_kernel_is_neither_transportable_nor_default_constructible<Op>);
    }
  }
  return shm_admits<Op>();
}

// A block of the segment, given back when the lease ends.
class block_lease {
 public:
  block_lease() noexcept = default;
  block_lease(std::shared_ptr<shm::arena> a, std::size_t bytes) : arena_(std::move(a)), block_(arena_->allocate(bytes)) {}
  block_lease(block_lease&& o) noexcept : arena_(std::move(o.arena_)), block_(std::exchange(o.block_, {})) {}
  block_lease& operator=(block_lease&& o) noexcept {
    std::swap(arena_, o.arena_);
    std::swap(block_, o.block_);
    return *this;
  }
  ~block_lease() {
    if (arena_) arena_->release(block_);
  }
  std::size_t offset() const noexcept { return block_.offset; }
  std::byte* data() const noexcept { return arena_->at(block_.offset); }
  explicit operator bool() const noexcept { return static_cast<bool>(block_); }

 private:
  std::shared_ptr<shm::arena> arena_;
  shm::block block_;
};

// The state of one bulk call, shared with its chunk tasks: which chunks ended and how.
class shm_call {
 public:
  shm_call(std::size_t n, std::size_t chunk, const shm::progress_words* progress)
      : n_(n), chunk_(chunk), progress_(progress), ended_(chunks()), failures_(chunks()) {}

  std::size_t chunks() const noexcept { return n_ == 0 ? 0 : (n_ + chunk_ - 1) / chunk_; }
  std::size_t first(std::size_t i) const noexcept { return i * chunk_; }
  std::size_t count(std::size_t i) const noexcept { return std::min(chunk_, n_ - first(i)); }

  void started() {
    std::lock_guard lock(m_);
    ++started_;
  }
  /// Chunk `i` answered; `f` are its failed items.
  void ended(std::size_t i, std::vector<bulk_report::failure> f) {
    std::lock_guard lock(m_);
    failures_[i] = std::move(f);
    ended_[i] = true;
    ++finished_;
    cv_.notify_all();
  }
  /// Chunk `i` got no answer (its worker died, timed out, or the pool closed): the items
  /// its worker had not finished fail with `e`; all of them when one had failed already
  /// (that one's own error did not come back).
  void lost(std::size_t i, std::exception_ptr e);
  /// Chunks from `i` on were never sent.
  void cancelled(std::size_t i, std::exception_ptr e) {
    std::lock_guard lock(m_);
    for (; i < chunks(); ++i) failures_[i] = {{first(i), count(i), e}};
  }
  void wait(std::size_t i) {
    std::unique_lock lock(m_);
    cv_.wait(lock, [&] { return ended_[i]; });
  }
  void wait_below(std::size_t in_flight) {
    std::unique_lock lock(m_);
    cv_.wait(lock, [&] { return started_ - finished_ <= in_flight; });
  }
  /// Waits until no chunk of the call is with a worker any more.
  void wait_all() noexcept { wait_below(0); }
  /// The failures of chunk `i` (after wait(i), or for a chunk never sent).
  const std::vector<bulk_report::failure>& failures_of(std::size_t i) const noexcept { return failures_[i]; }
  bool sent(std::size_t i) const {
    std::lock_guard lock(m_);
    return i < started_;
  }
  bulk_report report() const;

 private:
  std::size_t n_, chunk_;
  const shm::progress_words* progress_;
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::vector<bool> ended_;
  std::vector<std::vector<bulk_report::failure>> failures_;
  std::size_t started_ = 0, finished_ = 0;
};

// Decodes a result frame: the count, then each failed item with its exception.
BREAKEVEN_DECL std::vector<bulk_report::failure> read_failures(ipc::reader& r, std::size_t first, std::size_t count);

class shm_chunk_task final : public process_task {
 public:
  shm_chunk_task(std::shared_ptr<shm_call> c, std::size_t i) : call_(std::move(c)), index_(i) {}
  void complete(ipc::reader& r) override { failures_ = read_failures(r, call_->first(index_), call_->count(index_)); }
  void publish() noexcept override { call_->ended(index_, std::move(failures_)); }
  void fail(std::exception_ptr e) noexcept override { call_->lost(index_, e); }

 private:
  std::shared_ptr<shm_call> call_;
  std::size_t index_;
  std::vector<bulk_report::failure> failures_;
};

template <class Out>
class shm_submit_task final : public process_task {
 public:
  shm_submit_task(block_lease b, std::size_t out_offset) : block_(std::move(b)), out_(out_offset) {}
  std::promise<Out> promise;
  void complete(ipc::reader& r) override {
    auto f = read_failures(r, 0, 1);
    if (!f.empty()) error_ = f.front().error;
    else if constexpr (!std::is_void_v<Out>) value_.emplace(*reinterpret_cast<const Out*>(block_.data() + out_));
  }
  // The block goes back first: whoever sees the value sees the segment without it.
  void publish() noexcept override {
    block_ = {};
    if (error_) promise.set_exception(error_);
    else if constexpr (std::is_void_v<Out>) promise.set_value();
    else promise.set_value(std::move(*value_));
  }
  void fail(std::exception_ptr e) noexcept override {
    block_ = {};
    promise.set_exception(e);
  }

 private:
  struct none {};
  block_lease block_;
  std::size_t out_;
  std::exception_ptr error_;
  std::conditional_t<std::is_void_v<Out>, none, std::optional<Out>> value_;
};

// Calls `f(i)` for every position in [first, first + count) outside the sorted `failures`,
// in ranges: f(begin, end).
template <class F>
void for_each_ok(std::size_t first, std::size_t count, const std::vector<bulk_report::failure>& failures, F&& f) {
  std::size_t at = first;
  for (const auto& x : failures) {
    if (x.first > at) f(at, x.first);
    at = std::max(at, x.first + x.count);
  }
  if (at < first + count) f(at, first + count);
}

// Rows whose elements a kernel may change (row_view<T>, T not const).
template <class T>
inline constexpr bool mutable_rows = false;
template <class T>
inline constexpr bool mutable_rows<row_view<T>> = !std::is_const_v<T>;

template <class T>
inline constexpr std::size_t align_up(std::size_t n) noexcept {
  return (n + alignof(T) - 1) / alignof(T) * alignof(T);
}

}  // namespace detail

/// The executor that runs kernels in worker processes with the items in shared memory.
class shared_memory_pool {
 public:
  static constexpr executor_kind kind = executor_kind::shared_memory;

  /// True when this executor can run `Op`: trivially copyable input values (or rows of
  /// them) and output values, not I/O-bound, a kernel object the worker can obtain.
  template <class Op>
  static constexpr bool admits = detail::shm_admits<std::remove_cvref_t<Op>>();

  /// A pool of `workers` processes (0: one per hardware thread) and an empty segment.
  explicit shared_memory_pool(unsigned workers = 0)
      : shared_memory_pool(shared_memory_options{.processes = process_pool_options{.workers = workers}}) {}
  explicit shared_memory_pool(const shared_memory_options& o);

  /// The number of worker processes.
  unsigned concurrency() const noexcept { return pool_.concurrency(); }
  /// The worker processes as a process pool: the same workers, items through the frames.
  breakeven::process_pool& processes() noexcept { return pool_; }
  /// The segment (for buffers made elsewhere, and for its statistics).
  const std::shared_ptr<shm::arena>& segment() const noexcept { return arena_; }
  /// True when `bytes` fit in memory the segment already holds: no growth, no new pages.
  bool segment_ready(std::size_t bytes) const { return arena_->has_retained(bytes); }
  shared_memory_stats stats() const { return {pool_.stats(), arena_->stats()}; }

  /// A buffer of `n` values of `T` in the segment, for the caller to fill (contents unspecified).
  template <class T>
  shared_buffer<T> make_buffer(std::size_t n) {
    return shared_buffer<T>(arena_, n);
  }
  /// A buffer holding a copy of `values`.
  template <class T, std::ranges::input_range R>
  shared_buffer<T> make_buffer(R&& values) {
    shared_buffer<T> b(arena_, static_cast<std::size_t>(std::ranges::distance(values)));
    std::ranges::copy(values, b.begin());
    return b;
  }

  /// Runs `op(x)` in a worker, `x` and the result passing through the segment.
  template <class Op>
  std::future<output_t<Op>> submit(const Op& op, const input_t<Op>& x) {
    using In = input_t<Op>;
    using Out = output_t<Op>;
    std::future<Out> f;
    if constexpr (detail::check_shm_kernel<Op>()) {
      // One block: progress words, the output, the input (a value, or a row's elements).
      const std::size_t out_at = detail::align_up<std::max_align_t>(sizeof(shm::progress_words));
      const std::size_t out_bytes = std::is_void_v<Out> ? 0 : sizeof(std::conditional_t<std::is_void_v<Out>, char, Out>);
      const std::size_t in_at = detail::align_up<std::max_align_t>(out_at + out_bytes);
      std::size_t in_bytes = sizeof(In);
      if constexpr (detail::is_row_view<In>) in_bytes = x.size_bytes();
      detail::block_lease b(arena_, in_at + in_bytes);
      ::new (static_cast<void*>(b.data())) shm::progress_words{};
      shm::task_place at = place(b.offset(), std::is_void_v<Out> ? shm::no_output : b.offset() + out_at);
      std::pair<std::uint64_t, std::uint64_t> row{b.offset() + in_at, 0};
      if constexpr (detail::is_row_view<In>) {
        if (in_bytes != 0) std::memcpy(b.data() + in_at, x.data(), in_bytes);
        row.second = x.size();
      } else {
        std::memcpy(b.data() + in_at, &x, sizeof(In));
        at.in = b.offset() + in_at;
      }
      auto t = std::make_unique<detail::shm_submit_task<Out>>(std::move(b), out_at);
      f = t->promise.get_future();
      request(*t, op, 1, at, std::span(&row, 1));
      detail::process_pool_access::submit(pool_, std::move(t),
                                           detail::eager_window<Op>(1, detail::process_pool_access::options(pool_).spin));
    }
    return f;
  }

  /// `out[i] = op(in[i])` for every item; the items that failed are in the report, every
  /// other output is written. Outputs go straight to `out` when it points into this pool's
  /// segment (a shared_buffer), otherwise they are copied there chunk by chunk. With a stop
  /// token, chunks not yet sent when stop is requested fail with call_cancelled.
  template <class Op, class In, class Out>
  bulk_report try_bulk_map(const Op& op, In&& in, Out out, schedule s = {}, std::stop_token stop = {}) {
    bulk_report r;
    if constexpr (detail::check_bulk_map<Op, In, Out>() && detail::check_shm_kernel<Op>()) {
      using O = output_t<Op>;
      const std::size_t n = static_cast<std::size_t>(std::ranges::size(in));
      if (n == 0) return r;
      if constexpr (detail::contiguous_of<Out, O>) {
        if (arena_->contains(std::to_address(out), n * sizeof(O)))
          return run(op, in, arena_->offset_of(std::to_address(out)), s, stop, [](auto&&...) {});
      }
      const auto copy_out = [&](std::size_t first, std::size_t count, const auto& failures, const std::byte* base) {
        const O* src = reinterpret_cast<const O*>(base);
        detail::for_each_ok(first, count, failures, [&](std::size_t b, std::size_t e) {
          if constexpr (detail::contiguous_of<Out, O>)
            std::memcpy(std::to_address(out) + b, src + b, (e - b) * sizeof(O));
          else
            for (std::size_t i = b; i < e; ++i) out[static_cast<std::ptrdiff_t>(i)] = src[i];
        });
      };
      return run(op, in, copied_output, s, stop, copy_out);
    }
    return r;
  }

  /// `out[i] = op(in[i])` for every item; rethrows the error of the lowest failed item
  /// (with its type) once every chunk has ended. The other outputs are written.
  template <class Op, class In, class Out>
  void bulk_map(const Op& op, In&& in, Out out, schedule s = {}) {
    try_bulk_map(op, std::forward<In>(in), std::move(out), s).rethrow();
  }

  /// op(x) for every item, outputs (if any) discarded; rows of a mutable row_view are
  /// changed in place (copied back when they were not in the segment). Errors as bulk_map.
  template <class Op, class In>
  void bulk_for_each(const Op& op, In&& in, schedule s = {}) {
    if constexpr (detail::check_bulk_input<Op, In>() && detail::check_shm_kernel<Op>())
      run(op, in, shm::no_output, s, {}, [](auto&&...) {}).rethrow();
  }

  /// The outputs of `op` over `in`, in a shared buffer the workers wrote them into.
  template <class Op, class In>
  mapped<output_t<Op>> try_map(const Op& op, In&& in, schedule s = {}, std::stop_token stop = {}) {
    mapped<output_t<Op>> m;
    if constexpr (detail::check_bulk_input<Op, In>() && detail::check_shm_kernel<Op>()) {
      static_assert(!std::is_void_v<output_t<Op>>, "breakeven: map needs a kernel with an output; use bulk_for_each");
      m.values = make_buffer<output_t<Op>>(static_cast<std::size_t>(std::ranges::size(in)));
      if (!m.values.empty()) m.report = run(op, in, arena_->offset_of(m.values.data()), s, stop, [](auto&&...) {});
    }
    return m;
  }
  /// map without a copy back: the outputs in a shared buffer; rethrows the error of the
  /// lowest failed item (with its type).
  template <class Op, class In>
  shared_buffer<output_t<Op>> map(const Op& op, In&& in, std::size_t chunk = 0) {
    mapped<output_t<Op>> m = try_map(op, std::forward<In>(in), schedule{chunk, 0, true});
    m.report.rethrow();
    return std::move(m.values);
  }

  /// The chunk size for `n` items of `Op` when the caller gives none (a call through
  /// breakeven::map always runs the plan's): an even split, two chunks per worker at least
  /// (the caller copies one chunk in or out while workers run the others). The pool plans
  /// nothing: schedules by cost are decide()'s.
  template <class Op>
  std::size_t default_chunk(std::size_t n) const {
    const std::size_t split = std::size_t{2} * concurrency();
    return std::max<std::size_t>(1, (n + split - 1) / split);
  }

  /// No more submissions; submitted work still runs.
  void close() { pool_.close(); }
  /// close(), then wait for every submitted task and stop the workers.
  void join() { pool_.join(); }
  /// Kills the workers; every unfinished task fails with pool_closed; then join().
  void terminate() { pool_.terminate(); }

 private:
  static process_pool_options with_segment(process_pool_options o, int fd) {
    o.worker_fds.push_back(fd);
    return o;
  }

  shm::task_place place(std::size_t progress, std::uint64_t out) const {
    return {fd_index_, arena_->size(), progress, out, 0};
  }

  // Writes the task frame of `k` items into `t`.
  template <class Op>
  static void request(detail::process_task& t, const Op& op, std::size_t k, const shm::task_place& at,
                      std::span<const std::pair<std::uint64_t, std::uint64_t>> rows) {
    const std::size_t start = ipc::begin_frame(t.request, ipc::frame_type::task, 0);
    {
      ipc::writer w(t.request);
      w.put(shm::kernel_entry<Op>::reg.hash);
      w.put(shm::kernel_entry<Op>::reg.address());
      shm::encode_task(w, op, static_cast<std::uint32_t>(k), at, rows);
    }
    ipc::finish_frame(t.request, start);
    t.kernel_name = ipc::type_name_of<Op>();
  }

  // `run`'s output offset for outputs placed in a block of their own, copied out by `after`.
  static constexpr std::uint64_t copied_output = shm::no_output - 1;

  // Runs `op` over `in` with outputs at segment offset `out` (no_output: discarded;
  // copied_output: a block of the call); `after(first, count, failures, outputs)` runs in
  // the caller as each chunk ends, in order.
  template <class Op, class R, class After>
  bulk_report run(const Op& op, R& in, std::uint64_t out, schedule s, std::stop_token stop, After&& after) {
    using I = input_t<Op>;
    using O = std::conditional_t<std::is_void_v<output_t<Op>>, char, output_t<Op>>;
    const std::size_t n = static_cast<std::size_t>(std::ranges::size(in));
    if (n == 0) return {};
    const std::size_t chunk = std::min<std::size_t>(s.chunk != 0 ? s.chunk : default_chunk<Op>(n), UINT32_MAX);
    auto first = std::ranges::begin(in);
    const auto item = [&](std::size_t i) -> I { return first[static_cast<std::ranges::range_difference_t<R>>(i)]; };

    // Every block is taken before any work is sent, after at most one growth of the
    // segment: a call that does not fit fails here.
    const std::size_t page = arena_->page_size();
    const auto pages = [page](std::size_t bytes) { return (std::max<std::size_t>(bytes, 1) + page - 1) / page * page; };
    const std::size_t words_bytes = ((n + chunk - 1) / chunk) * sizeof(shm::progress_words);
    std::size_t in_bytes = 0;  // values copied in, or the elements of rows not in the segment
    std::size_t in_offset = 0;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> rows;  // per row item: offset, count
    std::vector<std::size_t> copied;                            // row items whose elements were copied
    if constexpr (detail::is_row_view<I>) {
      using E = typename I::element_type;
      rows.resize(n);
      std::size_t scratch = 0;
      for (std::size_t i = 0; i < n; ++i) {
        const I r = item(i);
        if (arena_->contains(r.data(), r.size_bytes())) {
          rows[i] = {arena_->offset_of(r.data()), r.size()};
        } else {
          rows[i] = {scratch, r.size()};
          copied.push_back(i);
          scratch = detail::align_up<E>(scratch + r.size_bytes());
        }
      }
      if (!copied.empty()) in_bytes = scratch;
    } else if constexpr (std::ranges::contiguous_range<R> && std::same_as<std::ranges::range_value_t<R>, I>) {
      if (arena_->contains(std::ranges::data(in), n * sizeof(I))) in_offset = arena_->offset_of(std::ranges::data(in));
      else in_bytes = n * sizeof(I);
    } else {
      in_bytes = n * sizeof(I);
    }
    const std::size_t out_bytes = out == copied_output ? n * sizeof(O) : 0;
    arena_->reserve(pages(words_bytes) + (in_bytes != 0 ? pages(in_bytes) : 0) + (out_bytes != 0 ? pages(out_bytes) : 0));
    detail::block_lease words(arena_, words_bytes);
    detail::block_lease inputs = in_bytes != 0 ? detail::block_lease(arena_, in_bytes) : detail::block_lease();
    detail::block_lease outputs = out_bytes != 0 ? detail::block_lease(arena_, out_bytes) : detail::block_lease();
    if (outputs) out = outputs.offset();
    if constexpr (detail::is_row_view<I>)
      for (std::size_t i : copied) rows[i].first += inputs.offset();
    std::memset(words.data(), 0, words_bytes);
    auto call = std::make_shared<detail::shm_call>(n, chunk, reinterpret_cast<const shm::progress_words*>(words.data()));
    // Whatever leaves this function, no worker may still be using its blocks.
    struct drain {
      detail::shm_call& c;
      ~drain() { c.wait_all(); }
    } guard{*call};

    const auto copy_in = [&](std::size_t b, std::size_t e) {
      if constexpr (detail::is_row_view<I>) {
        for (auto it = std::lower_bound(copied.begin(), copied.end(), b); it != copied.end() && *it < e; ++it) {
          const I r = item(*it);
          if (r.size() != 0) std::memcpy(arena_->at(rows[*it].first), r.data(), r.size_bytes());
        }
      } else if (inputs) {
        I* dst = reinterpret_cast<I*>(inputs.data());
        if constexpr (std::ranges::contiguous_range<R> && std::same_as<std::ranges::range_value_t<R>, I>)
          std::memcpy(dst + b, std::ranges::data(in) + b, (e - b) * sizeof(I));
        else
          for (std::size_t i = b; i < e; ++i) ::new (static_cast<void*>(dst + i)) I(item(i));
      }
    };

    const std::size_t chunks = call->chunks();
    for (std::size_t c = 0; c < chunks; ++c) {
      if (stop.stop_requested()) {
        call->cancelled(
            c, std::make_exception_ptr(call_cancelled("breakeven: the call was cancelled before these items were sent")));
        break;
      }
      if (s.workers != 0) call->wait_below(s.workers - 1);
      const std::size_t b = call->first(c), k = call->count(c);
      copy_in(b, b + k);
      shm::task_place at = place(words.offset() + c * sizeof(shm::progress_words), out);
      if (out != shm::no_output) at.out = out + b * sizeof(O);
      at.in = (inputs && !detail::is_row_view<I> ? inputs.offset() : in_offset) + b * sizeof(I);
      auto t = std::make_unique<detail::shm_chunk_task>(call, c);
      request(*t, op, k, at, std::span(rows).subspan(rows.empty() ? 0 : b, rows.empty() ? 0 : k));
      call->started();
      try {
        detail::process_pool_access::submit(pool_, std::move(t));
      } catch (const pool_closed&) {
        // Terminated under the call: this chunk and every unsent one fail, as unfinished ones do.
        call->ended(c, {{b, k, std::current_exception()}});
        call->cancelled(c + 1, std::current_exception());
        break;
      } catch (...) {
        call->ended(c, {{b, k, std::current_exception()}});
        throw;
      }
    }
    for (std::size_t c = 0; c < chunks && call->sent(c); ++c) {
      call->wait(c);
      after(call->first(c), call->count(c), call->failures_of(c), outputs ? outputs.data() : nullptr);
      if constexpr (detail::mutable_rows<I>) {
        // Rows changed in the segment go back to where the caller keeps them.
        const std::size_t b = call->first(c), e = b + call->count(c);
        for (auto it = std::lower_bound(copied.begin(), copied.end(), b); it != copied.end() && *it < e; ++it) {
          const I r = item(*it);
          if (r.size() != 0) std::memcpy(r.data(), arena_->at(rows[*it].first), r.size_bytes());
        }
      }
    }
    return call->report();
  }

  std::shared_ptr<shm::arena> arena_;  // outlives the workers (declared first, destroyed last)
  std::uint32_t fd_index_;
  breakeven::process_pool pool_;
};

static_assert(executor<shared_memory_pool>);

}  // namespace breakeven

#if !defined(BREAKEVEN_SEPARATE_COMPILATION)
#include <breakeven/executor/impl/shared_memory.ipp>
#endif
