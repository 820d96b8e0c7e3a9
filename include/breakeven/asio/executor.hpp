// breakeven/asio/executor.hpp - bring your own context: the thread-pool executor over any
// Asio executor, so that breakeven's calls run on the threads of a program's own
// asio::thread_pool or io_context.
//
// A bulk call posts one lane per thread it may use (the schedule's workers, at most the
// concurrency given) to the Asio executor and runs lane 0 itself; every lane claims chunks
// from one counter. When the caller has claimed the last chunk it takes back the lanes that
// no thread has started, so a call made from one of the context's own threads (or from a
// context that is not running) never waits on a lane that cannot start: it just does the
// work itself. Lanes taken back run later as no-ops.
#pragma once

#include <breakeven/asio/config.hpp>
#include <breakeven/executor/bulk.hpp>
#include <breakeven/executor/spin.hpp>
#include <breakeven/executor/thread_pool.hpp>

#include <boost/asio/execution_context.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <stop_token>
#include <thread>
#include <type_traits>
#include <utility>

namespace breakeven {
namespace detail {

// The lanes of one bulk call handed to an Asio executor. Shared with the posted lanes, so
// that one taken back, and run after the call has returned, finds only this block.
struct posted_lanes {
  enum : std::uint8_t { posted, taken, revoked };
  bulk_job* job;
  std::unique_ptr<std::atomic<std::uint8_t>[]> state;
  std::atomic<unsigned> done{0};

  posted_lanes(bulk_job* j, unsigned lanes) : job(j), state(std::make_unique<std::atomic<std::uint8_t>[]>(lanes)) {}

  // Runs lane `l` (1-based) unless the caller took it back first.
  void run(unsigned l) noexcept {
    std::uint8_t expected = posted;
    if (!state[l - 1].compare_exchange_strong(expected, taken, std::memory_order_acq_rel)) return;
    job->run_lane(*job, l);
    done.fetch_add(1, std::memory_order_seq_cst);  // the last touch of `job`
    done.notify_all();
  }

  // Takes back every lane not yet started; returns how many were started.
  unsigned revoke(unsigned lanes) noexcept {
    unsigned started = 0;
    for (unsigned l = 0; l < lanes; ++l) {
      std::uint8_t expected = posted;
      if (!state[l].compare_exchange_strong(expected, revoked, std::memory_order_acq_rel)) ++started;
    }
    return started;
  }

  // Spins for `budget`, then sleeps, until `started` lanes are done.
  void wait(unsigned started, std::chrono::nanoseconds budget) noexcept {
    spin_timer timer(budget);
    for (;;) {
      const unsigned d = done.load(std::memory_order_seq_cst);
      if (d == started) return;
      if (timer.poll()) done.wait(d, std::memory_order_seq_cst);
    }
  }
};

template <class E>
concept has_get_executor = requires(E& e) { e.get_executor(); };

}  // namespace detail

/// The thread-pool executor over the threads behind an Asio executor (an asio::thread_pool's,
/// an io_context's; a strand works, but runs the lanes one at a time). Models
/// `breakeven::executor` with kind thread_pool, and stops between chunks on request.
template <class Executor>
class asio_executor {
 public:
  static constexpr executor_kind kind = executor_kind::thread_pool;

  /// Kernels that are thread-safe and do not ask for isolation.
  template <class Op>
  static constexpr bool admits = detail::in_process_admits<Op, true>();

  using inner_executor_type = Executor;

  /// Runs on `ex`, whose context has `concurrency` threads (Asio cannot say how many); the
  /// caller waiting on lanes spins `spin_budget` before it sleeps.
  asio_executor(Executor ex, unsigned concurrency, std::chrono::nanoseconds spin_budget = default_spin_budget)
      : ex_(std::move(ex)), concurrency_(std::max(1u, concurrency)), spin_budget_(spin_budget) {}

  /// Runs on the executor of `context` (an asio::thread_pool, an io_context) run by
  /// `concurrency` threads.
  template <class Context>
    requires std::is_base_of_v<boost::asio::execution_context, Context> && detail::has_get_executor<Context>
  asio_executor(Context& context, unsigned concurrency, std::chrono::nanoseconds spin_budget = default_spin_budget)
      : asio_executor(context.get_executor(), concurrency, spin_budget) {}

  /// The Asio executor work is posted to.
  const Executor& get_inner_executor() const noexcept { return ex_; }

  /// The threads of the context, as given.
  unsigned concurrency() const noexcept { return concurrency_; }

  /// out[i] = op(in[i]) for every i, chunks claimed by the caller and up to concurrency() - 1
  /// of the context's threads. An exception stops the handing out of chunks after it; the one
  /// of the lowest failing index is rethrown with its type.
  template <class Op, class In, class Out>
  void bulk_map(const Op& op, In&& in, Out out, const schedule& s = {}) {
    if constexpr (detail::check_bulk_map<Op, In, Out>() && detail::check_in_process<Op, true>())
      run_bulk(std::ranges::size(in), s, detail::map_item(op, in, out), nullptr);
  }

  /// bulk_map that claims no chunk once `stop` is requested; true when every item ran.
  template <class Op, class In, class Out>
  bool bulk_map(const Op& op, In&& in, Out out, const schedule& s, std::stop_token stop) {
    if constexpr (detail::check_bulk_map<Op, In, Out>() && detail::check_in_process<Op, true>())
      return run_bulk(std::ranges::size(in), s, detail::map_item(op, in, out), &stop);
    return false;
  }

  /// op(in[i]) for every i, for void kernels.
  template <class Op, class In>
  void bulk_for_each(const Op& op, In&& in, const schedule& s = {}) {
    if constexpr (detail::check_bulk_input<Op, In>() && detail::check_in_process<Op, true>())
      run_bulk(std::ranges::size(in), s, detail::for_each_item(op, in), nullptr);
  }

  /// bulk_for_each that claims no chunk once `stop` is requested; true when every item ran.
  template <class Op, class In>
  bool bulk_for_each(const Op& op, In&& in, const schedule& s, std::stop_token stop) {
    if constexpr (detail::check_bulk_input<Op, In>() && detail::check_in_process<Op, true>())
      return run_bulk(std::ranges::size(in), s, detail::for_each_item(op, in), &stop);
    return false;
  }

  /// Posts op(x) (op and x copied) and returns its future. Blocking on that future from the
  /// context's only thread would wait forever.
  template <class Op>
  std::future<output_t<Op>> submit(const Op& op, input_t<Op> x) {
    if constexpr (detail::check_in_process<Op, true>()) {
      auto task = std::make_shared<detail::submit_task<Op>>(op, std::move(x));
      auto future = task->promise.get_future();
      boost::asio::post(ex_, [task] { task->run(); });
      return future;
    } else {
      return {};
    }
  }

  /// Posts `f()` to the Asio executor: the hook asynchronous operations run through.
  template <class F>
  void execute(F&& f) {
    boost::asio::post(ex_, std::forward<F>(f));
  }

 private:
  template <class Body>
  bool run_bulk(std::size_t n, const schedule& s, const Body& body, const std::stop_token* stop) {
    if (n == 0) return true;
    const unsigned want = s.workers == 0 ? concurrency_ : std::min(s.workers, concurrency_);
    const std::size_t chunk = s.chunk != 0 ? std::min(s.chunk, n) : (n + 4 * std::size_t{want} - 1) / (4 * std::size_t{want});
    const std::size_t chunks = (n + chunk - 1) / chunk;
    const auto lanes = static_cast<unsigned>(std::min<std::size_t>(want, chunks));

    // Every lane claims chunks from one counter: a lane that never starts leaves no gap.
    detail::typed_bulk_job<Body> job(body, n, chunk, lanes, /*dynamic=*/true, stop);
    std::shared_ptr<detail::posted_lanes> posted;
    if (lanes > 1) {
      posted = std::make_shared<detail::posted_lanes>(&job, lanes - 1);
      for (unsigned l = 1; l < lanes; ++l) boost::asio::post(ex_, [posted, l] { posted->run(l); });
    }
    job.run_lane(job, 0);
    if (posted) posted->wait(posted->revoke(lanes - 1), spin_budget_);
    if (job.first_failure.load(std::memory_order_relaxed) != detail::no_failure)
      std::rethrow_exception(job.failure);
    return !job.abandoned.load(std::memory_order_relaxed);
  }

  Executor ex_;
  unsigned concurrency_;
  std::chrono::nanoseconds spin_budget_;
};

template <class Context>
  requires std::is_base_of_v<boost::asio::execution_context, Context> && detail::has_get_executor<Context>
asio_executor(Context&, unsigned) -> asio_executor<decltype(std::declval<Context&>().get_executor())>;
template <class Context>
  requires std::is_base_of_v<boost::asio::execution_context, Context> && detail::has_get_executor<Context>
asio_executor(Context&, unsigned, std::chrono::nanoseconds) -> asio_executor<decltype(std::declval<Context&>().get_executor())>;

}  // namespace breakeven
