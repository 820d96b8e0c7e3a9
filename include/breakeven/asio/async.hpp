// breakeven/asio/async.hpp - async_map, async_for_each and async_submit: breakeven's calls
// as Asio asynchronous operations, initiated through asio::async_initiate, so that one
// operation takes a callback, asio::use_future, asio::use_awaitable, asio::deferred (where
// Boost has it) or any other completion token.
//
// Completion. Signatures are void(std::exception_ptr, R) (void(std::exception_ptr) for
// effects only): the kernel's exception with its type, or, for an operation cancelled
// before it finished, boost::system::system_error(asio::error::operation_aborted). The
// handler runs on its associated executor (a strand stays a strand); a handler without one
// runs on the thread that finished the work. It is never invoked inside the initiating call.
//
// Where the work runs. As breakeven::map decides, by cost: past break-even on the pool the
// plan picks (a process pool's bulk call driven from a thread-pool worker); below it, the whole batch inline in the initiating call when it costs less
// than handing it to a worker and back (async_inline_budget_ns), otherwise on one pool
// worker, so that the caller's thread (an event loop) is not held. An executor can be
// named per call instead. A pool's worker runs the bulk call as its caller: on a pool of
// concurrency N, asynchronous work uses the N - 1 worker threads and leaves the initiating
// thread's core to its event loop.
//
// Cancellation (breakeven/asio/cancellation.hpp): terminal and partial requests stop the
// handing out of chunks (chunks in flight finish, none is started after) and complete the
// operation with operation_aborted unless every item had already run; an operation that has
// not started yet completes at once and its queued work is dropped unrun. A total request
// (no side effect allowed) is honoured only before the work starts. A single submitted task
// in flight finishes and delivers its result.
#pragma once

#include <breakeven/api.hpp>
#include <breakeven/asio/cancellation.hpp>
#include <breakeven/asio/config.hpp>
#include <breakeven/asio/executor.hpp>
#include <breakeven/call.hpp>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution/executor.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/system_executor.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <stop_token>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace breakeven {

/// The exception a cancelled operation completes with: system_error(operation_aborted).
inline std::exception_ptr operation_aborted_exception() {
  return std::make_exception_ptr(boost::system::system_error(boost::asio::error::operation_aborted));
}

/// The error code an operation's exception carries: a system_error's code, else none.
inline boost::system::error_code error_code_of(const std::exception_ptr& e) noexcept {
  if (!e) return {};
  try {
    std::rethrow_exception(e);
  } catch (const boost::system::system_error& s) {
    return s.code();
  } catch (...) {
    return {};
  }
}

/// True when an operation completed because it was cancelled.
inline bool is_operation_aborted(const std::exception_ptr& e) noexcept {
  return error_code_of(e) == boost::asio::error::operation_aborted;
}

// async_inline_budget_ns, the largest work an operation runs inline, is the policy's
// (decide.hpp): the plan's route says where the work runs.

/// The completion signature of async_map for kernel `Op`.
template <class Op>
using async_map_signature = void(std::exception_ptr, std::vector<output_t<Op>>);
/// The completion signature of async_for_each.
using async_for_each_signature = void(std::exception_ptr);
/// The completion signature of async_submit for kernel `Op`.
template <class Op>
using async_submit_signature =
    std::conditional_t<std::is_void_v<output_t<Op>>, void(std::exception_ptr), void(std::exception_ptr, output_t<Op>)>;

namespace detail {

// Executors whose post() would start Asio's system thread pool (2 x cores threads, kept to
// the end of the program): a handler bound to one is completed from a pool thread instead.
template <class E>
struct system_like_executor : std::false_type {};
template <class B, class R, class A>
struct system_like_executor<boost::asio::basic_system_executor<B, R, A>> : std::true_type {};
template <class T, class B>  // asio::use_future's handlers
struct system_like_executor<boost::asio::detail::promise_executor<T, B>> : std::true_type {};

template <class E>
concept has_execute = requires(E& e, void (*f)()) { e.execute(f); };

// The state of one asynchronous operation, shared by its queued work, the cancellation
// handler in its slot and its completion; the handler is called with (exception_ptr, Values...).
template <class Handler, class... Values>
class async_op : public std::enable_shared_from_this<async_op<Handler, Values...>> {
 public:
  using executor_type = boost::asio::associated_executor_t<Handler>;
  static constexpr bool system_like = system_like_executor<executor_type>::value;

  explicit async_op(Handler h) : handler_(std::move(h)), work_(make_work(*handler_)) {}

  // Installs the cancellation handler, for work that runs off the initiating thread.
  void connect() {
    auto slot = get_associated_cancellation_slot(*handler_);
    if (slot.is_connected()) {
      slot.template emplace<canceller>(this->shared_from_this());
      slot_ = slot;
      connected_ = true;
    }
  }

  // Claims the work for running; false when a cancellation completed the operation first.
  bool start() noexcept {
    std::uint8_t expected = pending;
    return phase_.compare_exchange_strong(expected, running, std::memory_order_acq_rel);
  }

  // Runs `body(stop_token) -> optional<tuple<Values...>>` (nullopt: stopped before the end)
  // and completes with its outcome. `on_caller`: running inside the initiating call.
  template <class Body>
  void run(Body& body, bool on_caller) noexcept {
    std::exception_ptr e;
    std::optional<std::tuple<Values...>> r;
    try {
      r = body(stop_.get_token());
    } catch (...) {
      e = std::current_exception();
    }
    phase_.store(finished, std::memory_order_release);
    if (!e && !r) e = operation_aborted_exception();
    complete(on_caller, std::move(e), r ? std::move(*r) : std::tuple<Values...>{});
  }

 private:
  enum : std::uint8_t { pending, running, finished };

  struct canceller {
    std::shared_ptr<async_op> op;
    explicit canceller(std::shared_ptr<async_op> o) noexcept : op(std::move(o)) {}
    void operator()(cancellation_type t) const { op->cancel(t); }
  };

  // Outstanding work on the handler's executor, as a tracked executor: destroying it (a
  // strand's, say) ends the strand before the work, so that the strand's service is still
  // there when the strand goes (a legacy work guard ends the work first).
  static auto make_work(const Handler& h) {
    if constexpr (system_like) return 0;
    else return std::optional(tracked(boost::asio::get_associated_executor(h)));
  }
  template <class W>
  static decltype(auto) executor_of(const W& w) {
    if constexpr (requires { w.get_executor(); }) return w.get_executor();  // a legacy work guard
    else return (w);
  }
  template <class Ex>
  static auto tracked(const Ex& ex) {
    if constexpr (boost::asio::execution::is_executor<Ex>::value)
      return boost::asio::prefer(ex, boost::asio::execution::outstanding_work.tracked);
    else
      return boost::asio::make_work_guard(ex);
  }

  void cancel(cancellation_type t) {
    const bool stop_now = (t & (cancellation_type::terminal | cancellation_type::partial)) != cancellation_type::none;
    if (!stop_now && (t & cancellation_type::total) == cancellation_type::none) return;
    if (stop_now) stop_.request_stop();
    std::uint8_t expected = pending;
    if (phase_.compare_exchange_strong(expected, finished, std::memory_order_acq_rel))
      complete(/*on_caller=*/true, operation_aborted_exception(), std::tuple<Values...>{});
  }

  // Hands the outcome to the handler on its executor: dispatched from the thread that
  // finished the work, posted from the initiating call or a cancellation.
  void complete(bool on_caller, std::exception_ptr e, std::tuple<Values...> values) {
    auto fn = [self = this->shared_from_this(), e = std::move(e), values = std::move(values)]() mutable {
      self->deliver(std::move(e), values);
    };
    if constexpr (system_like) {
      if (on_caller) executor_registry::instance().threads().execute(std::move(fn));
      else fn();
    } else {
      // The work is released by the last of this hand-off and deliver(): the handler's
      // context cannot run out of work (and be destroyed) while the hand-off still touches
      // it, and neither side waits for the other.
      if (on_caller) boost::asio::post(executor_of(*work_), std::move(fn));
      else boost::asio::dispatch(executor_of(*work_), std::move(fn));
      release_work();
    }
  }

  void release_work() noexcept {
    if (handing_over_.fetch_sub(1, std::memory_order_acq_rel) == 1) work_.reset();
  }

  void deliver(std::exception_ptr e, std::tuple<Values...>& values) {
    if (connected_) slot_.clear();
    // The handler, and what a move leaves of it (an executor_binder keeps its executor),
    // end here, on the handler's executor, not wherever the state's last owner drops it.
    Handler h(std::move(*handler_));
    handler_.reset();
    std::apply([&](auto&... v) { std::move(h)(std::move(e), std::move(v)...); }, values);
    if constexpr (!system_like) release_work();
  }

  std::optional<Handler> handler_;
  decltype(make_work(std::declval<const Handler&>())) work_;
  std::stop_source stop_;
  std::atomic<std::uint8_t> phase_{pending};
  std::atomic<int> handing_over_{2};  // the hand-off and deliver(): the last releases the work
  typename associated_cancellation_slot<Handler>::type slot_{};
  bool connected_ = false;
};

// Runs the operation's work inside the initiating call (a cheap batch, the sequential executor).
template <class State, class Body>
void launch_inline(const std::shared_ptr<State>& st, Body body) {
  st->start();
  st->run(body, /*on_caller=*/true);
}

// Queues the operation's work on `target` (a thread pool, an Asio executor).
template <class Target, class State, class Body>
void launch_on(Target& target, std::shared_ptr<State> st, Body body) {
  st->connect();
  target.execute([st = std::move(st), body = std::move(body)]() mutable noexcept {
    if (st->start()) st->run(body, /*on_caller=*/false);
  });
}

// Runs the work on the executor named in the call: inline for the sequential executor, on
// an executor with execute() there, otherwise driven from a worker of the shared pool.
template <class E, class State, class Body>
void launch_named(E& ex, std::shared_ptr<State> st, Body body) {
  if constexpr (std::is_same_v<std::remove_const_t<E>, sequential_executor>)
    launch_inline(st, std::move(body));
  else if constexpr (has_execute<E>)
    launch_on(ex, std::move(st), std::move(body));
  else
    launch_on(executor_registry::instance().threads(), std::move(st), std::move(body));
}

// A bulk call that honours `stop` when the executor can, and otherwise only before it starts.
template <class E, class Op, class In, class Out>
bool bulk_map_until(E& ex, const Op& op, In& in, Out out, const schedule& s, std::stop_token stop) {
  if constexpr (stoppable_executor<E>) {
    return ex.bulk_map(op, in, out, s, std::move(stop));
  } else {
    if (stop.stop_requested()) return false;
    ex.bulk_map(op, in, out, s);
    return true;
  }
}
// bulk_for_each, or for an executor without it (the process pool), bulk_map of the void
// kernel, whose output iterator is not used.
template <class E, class Op, class In>
bool bulk_for_each_until(E& ex, const Op& op, In& in, const schedule& s, std::stop_token stop) {
  if constexpr (!requires { ex.bulk_for_each(op, in, s); }) {
    return bulk_map_until(ex, op, in, static_cast<char*>(nullptr), s, std::move(stop));
  } else if constexpr (stoppable_executor<E>) {
    return ex.bulk_for_each(op, in, s, std::move(stop));
  } else {
    if (stop.stop_requested()) return false;
    ex.bulk_for_each(op, in, s);
    return true;
  }
}

// Executors whose work runs in this process, on the thread that drives it.
template <class E>
inline constexpr bool in_process_v = std::is_same_v<std::remove_const_t<E>, sequential_executor> || has_execute<E>;

// The schedule of asynchronous bulk work: chunks claimed one at a time and worth at most
// ~1 ms each, so that a cancellation is seen within a millisecond per lane. (A claim is one
// atomic increment: small chunks cost nothing next to a millisecond of work.)
template <class Op>
schedule stoppable_schedule(schedule s, std::size_t n, unsigned lanes) {
  if (s.chunk != 0) return s;  // a plan's schedule (decide() cut it for cancellation): run as given
  {
    const std::size_t split = std::size_t{4} * std::max(1u, s.workers == 0 ? lanes : std::min(s.workers, lanes));
    s.chunk = std::max<std::size_t>(1, (n + split - 1) / split);
  }
  if constexpr (kernel_traits<Op>::cost_known) {
    const auto cap = static_cast<std::size_t>(std::max<std::int64_t>(1, 1'000'000 / std::max<std::int64_t>(1, kernel_traits<Op>::cost_ns)));
    s.chunk = std::min(s.chunk, cap);
  }
  s.dynamic = true;
  return s;
}

inline std::uint64_t elapsed_ns(std::chrono::steady_clock::time_point t0) noexcept {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
}

// The work of async_map on executor E: the items, owned, and their results.
template <class Op, class E>
struct map_work {
  Op op;
  std::vector<input_t<Op>> in;
  E* ex;
  schedule sched;
  std::optional<std::tuple<std::vector<output_t<Op>>>> operator()(std::stop_token stop) {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<output_t<Op>> out(in.size());
    const schedule s = stoppable_schedule<Op>(sched, in.size(), ex->concurrency());
    const bool all = bulk_map_until(*ex, std::as_const(op), in, out.begin(), s, std::move(stop));
    record_call(E::kind, in.size(), elapsed_ns(t0));
    if (!all) return std::nullopt;
    return std::tuple<std::vector<output_t<Op>>>(std::move(out));
  }
};

// The work of async_for_each on executor E.
template <class Op, class E>
struct for_each_work {
  Op op;
  std::vector<input_t<Op>> in;
  E* ex;
  schedule sched;
  std::optional<std::tuple<>> operator()(std::stop_token stop) {
    const auto t0 = std::chrono::steady_clock::now();
    const schedule s = stoppable_schedule<Op>(sched, in.size(), ex->concurrency());
    const bool all = bulk_for_each_until(*ex, std::as_const(op), in, s, std::move(stop));
    record_call(E::kind, in.size(), elapsed_ns(t0));
    if (!all) return std::nullopt;
    return std::tuple<>();
  }
};

// The work of async_submit: one item, on the thread that runs it, or for an executor of
// other processes, submitted there and waited for by that thread.
template <class Op, class E>
struct submit_work {
  Op op;
  input_t<Op> item;
  E* ex;
  decltype(auto) call() {
    if constexpr (in_process_v<E>) return std::invoke(std::as_const(op), std::as_const(item));
    else return ex->submit(std::as_const(op), std::as_const(item)).get();
  }
  auto operator()(std::stop_token) {
    const auto t0 = std::chrono::steady_clock::now();
    if constexpr (std::is_void_v<output_t<Op>>) {
      call();
      record_call(E::kind, 1, elapsed_ns(t0));
      return std::optional<std::tuple<>>(std::tuple<>());
    } else {
      std::optional<std::tuple<output_t<Op>>> r(std::in_place, call());
      record_call(E::kind, 1, elapsed_ns(t0));
      return r;
    }
  }
};

// Where a cost-chosen asynchronous operation runs: the plan's route and executor.
struct async_plan {
  async_route route = async_route::caller;
  executor_kind kind = executor_kind::sequential;
  schedule sched{};
  bool proceeds = true;  ///< false in a dry run (a test's plan hook)
};

// The plan of breakeven::map with the async option: decide() alone says where the work runs
// (caller, one worker, or its executor off the caller's thread) and with which schedule.
template <class Op, call_profile P>
async_plan plan_async(std::size_t n, call_options o) {
  o.async = true;
  bool full = false;
  const plan p = plan_call<Op, P>(n, o, full);
  if (debug_enabled()) log_plan(p, kernel_traits<Op>::name);
  return {p.route, p.kind, p.schedule(), call_proceeds(p, full)};
}

}  // namespace detail

/// Whether a cost-chosen asynchronous operation over `n` items of `Op` runs inline, in its
/// initiating call: the rule of async_map, for programs that name their own executor but
/// keep cheap batches on the caller's thread.
template <class Op, call_profile P = runtime_profile_source>
bool async_runs_inline(std::size_t n, const call_options& o = {}) {
  return detail::plan_async<Op, P>(n, o).route == async_route::caller;
}

namespace detail {

// The work of a bulk operation on the route of its plan. Process executors are driven from
// a worker of the thread pool, so the caller's thread (an event loop) is never held.
template <template <class, class> class Work, class Op, class State>
void launch_planned(const async_plan& ap, std::shared_ptr<State> st, const Op& op, std::vector<input_t<Op>> in) {
  auto& reg = executor_registry::instance();
  if (ap.route == async_route::executor) {
    if constexpr (admits_v<process_pool, Op> && processes_built_v<Op>) {
      if (ap.kind == executor_kind::process_pool) {
        launch_on(reg.threads(), std::move(st), Work<Op, process_pool>{op, std::move(in), &reg.processes(), ap.sched});
        return;
      }
    }
    if constexpr (admits_v<shared_memory_pool, Op> && processes_built_v<Op>) {
      if (ap.kind == executor_kind::shared_memory) {
        launch_on(reg.threads(), std::move(st),
                  Work<Op, shared_memory_pool>{op, std::move(in), &reg.shared_memory(), ap.sched});
        return;
      }
    }
  }
  if constexpr (admits_v<thread_pool, Op>) {
    if (ap.route != async_route::caller) {  // the pool, or the sequential schedule on one worker
      thread_pool& pool = reg.threads();
      launch_on(pool, std::move(st), Work<Op, thread_pool>{op, std::move(in), &pool, ap.sched});
      return;
    }
  }
  if constexpr (admits_v<sequential_executor, Op>)
    launch_inline(st, Work<Op, sequential_executor>{op, std::move(in), &reg.sequential(), schedule{}});
}

// The items of an operation, owned by it: a std::vector of the input type passed as an
// rvalue is moved in, anything else is copied.
template <class Op, class R>
std::vector<input_t<Op>> own_items(R&& items) {
  using In = input_t<Op>;
  if constexpr (std::is_same_v<std::remove_cvref_t<R>, std::vector<In>> && !std::is_lvalue_reference_v<R>) {
    return std::move(items);
  } else {
    std::vector<In> v;
    if constexpr (ranges::sized_range<R>) v.reserve(static_cast<std::size_t>(ranges::size(items)));
    for (auto&& x : items) v.emplace_back(x);
    return v;
  }
}

template <class Op, call_profile P>
struct map_initiation {
  Op op;
  call_options options;
  template <class Handler>
  void operator()(Handler&& handler, std::vector<input_t<Op>> in) const {
    auto st = std::make_shared<async_op<std::decay_t<Handler>, std::vector<output_t<Op>>>>(std::forward<Handler>(handler));
    const async_plan ap = plan_async<Op, P>(in.size(), options);  // before `in` is moved
    if (!ap.proceeds) return;
    launch_planned<map_work>(ap, std::move(st), op, std::move(in));
  }
};

template <class Op, call_profile P>
struct for_each_initiation {
  Op op;
  call_options options;
  template <class Handler>
  void operator()(Handler&& handler, std::vector<input_t<Op>> in) const {
    auto st = std::make_shared<async_op<std::decay_t<Handler>>>(std::forward<Handler>(handler));
    const async_plan ap = plan_async<Op, P>(in.size(), options);  // before `in` is moved
    if (!ap.proceeds) return;
    launch_planned<for_each_work>(ap, std::move(st), op, std::move(in));
  }
};

// The state of async_submit: (exception_ptr, result), or (exception_ptr) for a void kernel.
template <class Handler, class Out>
struct submit_state {
  using type = async_op<Handler, Out>;
};
template <class Handler>
struct submit_state<Handler, void> {
  using type = async_op<Handler>;
};
template <class Op, class Handler>
using submit_state_t = typename submit_state<Handler, output_t<Op>>::type;

template <class Op, call_profile P>
struct submit_initiation {
  Op op;
  call_options options;
  template <class Handler>
  void operator()(Handler&& handler, input_t<Op> item) const {
    auto st = std::make_shared<submit_state_t<Op, std::decay_t<Handler>>>(std::forward<Handler>(handler));
    const async_plan ap = plan_async<Op, P>(1, options);
    if (!ap.proceeds) return;
    auto& reg = executor_registry::instance();
    if (ap.route == async_route::executor) {
      if constexpr (admits_v<process_pool, Op> && processes_built_v<Op>) {
        if (ap.kind == executor_kind::process_pool) {
          launch_on(reg.threads(), std::move(st), submit_work<Op, process_pool>{op, std::move(item), &reg.processes()});
          return;
        }
      }
      if constexpr (admits_v<shared_memory_pool, Op> && processes_built_v<Op>) {
        if (ap.kind == executor_kind::shared_memory) {
          launch_on(reg.threads(), std::move(st),
                    submit_work<Op, shared_memory_pool>{op, std::move(item), &reg.shared_memory()});
          return;
        }
      }
    }
    if constexpr (admits_v<thread_pool, Op>) {
      if (ap.route != async_route::caller) {
        thread_pool& pool = reg.threads();
        launch_on(pool, std::move(st), submit_work<Op, thread_pool>{op, std::move(item), &pool});
        return;
      }
    }
    if constexpr (admits_v<sequential_executor, Op>)
      launch_inline(st, submit_work<Op, sequential_executor>{op, std::move(item), &reg.sequential()});
  }
};

template <class Op, class E>
struct named_map_initiation {
  Op op;
  E* ex;
  template <class Handler>
  void operator()(Handler&& handler, std::vector<input_t<Op>> in) const {
    auto st = std::make_shared<async_op<std::decay_t<Handler>, std::vector<output_t<Op>>>>(std::forward<Handler>(handler));
    launch_named(*ex, std::move(st), map_work<Op, E>{op, std::move(in), ex, schedule{}});
  }
};

template <class Op, class E>
struct named_for_each_initiation {
  Op op;
  E* ex;
  template <class Handler>
  void operator()(Handler&& handler, std::vector<input_t<Op>> in) const {
    auto st = std::make_shared<async_op<std::decay_t<Handler>>>(std::forward<Handler>(handler));
    launch_named(*ex, std::move(st), for_each_work<Op, E>{op, std::move(in), ex, schedule{}});
  }
};

template <class Op, class E>
struct named_submit_initiation {
  Op op;
  E* ex;
  template <class Handler>
  void operator()(Handler&& handler, input_t<Op> item) const {
    auto st = std::make_shared<submit_state_t<Op, std::decay_t<Handler>>>(std::forward<Handler>(handler));
    launch_named(*ex, std::move(st), submit_work<Op, E>{op, std::move(item), ex});
  }
};

template <class Op, class R>
consteval bool check_async_map() {
  static_assert(check_operation<Op>());
  static_assert(check_items<Op, R>());
  static_assert(!std::is_void_v<output_t<Op>>,
                "breakeven::async_map requires a kernel with an output_type; use breakeven::async_for_each");
  static_assert(std::is_default_constructible_v<output_t<Op>>,
                "breakeven::async_map needs a default-constructible output_type (a vector of results is built)");
  return true;
}

}  // namespace detail

/// Applies a kernel to every item of a range, asynchronously; completes with
/// (std::exception_ptr, std::vector of the results in input order). The operation owns a
/// copy of the items (a std::vector of the input type passed as an rvalue is moved in).
template <call_profile P = runtime_profile_source>
struct async_map_fn {
  /// On the executor chosen by cost.
  template <class Op, class R, class Token>
  auto operator()(const Op& op, R&& items, Token&& token) const {
    return (*this)(op, std::forward<R>(items), call_options{}, std::forward<Token>(token));
  }
  /// On the executor chosen by cost, with call options (force, max_workers, ...).
  template <class Op, class R, class Token>
  auto operator()(const Op& op, R&& items, const call_options& o, Token&& token) const {
    static_assert(detail::check_async_map<Op, R>());
    return boost::asio::async_initiate<Token, async_map_signature<Op>>(
        detail::map_initiation<Op, P>{op, o}, token, detail::own_items<Op>(std::forward<R>(items)));
  }
  /// On the executor given (sequential: inside the initiating call).
  template <class Op, class R, executor E, class Token>
  auto operator()(const Op& op, R&& items, E& ex, Token&& token) const {
    static_assert(detail::check_async_map<Op, R>());
    static_assert(admits_v<E, Op>, "breakeven::async_map: this executor does not admit the kernel (see its traits)");
    return boost::asio::async_initiate<Token, async_map_signature<Op>>(
        detail::named_map_initiation<Op, E>{op, &ex}, token, detail::own_items<Op>(std::forward<R>(items)));
  }
};

/// Applies a kernel to every item for its effects, asynchronously; completes with
/// (std::exception_ptr).
template <call_profile P = runtime_profile_source>
struct async_for_each_fn {
  template <class Op, class R, class Token>
  auto operator()(const Op& op, R&& items, Token&& token) const {
    return (*this)(op, std::forward<R>(items), call_options{}, std::forward<Token>(token));
  }
  template <class Op, class R, class Token>
  auto operator()(const Op& op, R&& items, const call_options& o, Token&& token) const {
    static_assert(check_operation<Op>());
    static_assert(detail::check_items<Op, R>());
    return boost::asio::async_initiate<Token, async_for_each_signature>(
        detail::for_each_initiation<Op, P>{op, o}, token, detail::own_items<Op>(std::forward<R>(items)));
  }
  template <class Op, class R, executor E, class Token>
  auto operator()(const Op& op, R&& items, E& ex, Token&& token) const {
    static_assert(check_operation<Op>());
    static_assert(detail::check_items<Op, R>());
    static_assert(admits_v<E, Op>, "breakeven::async_for_each: this executor does not admit the kernel (see its traits)");
    return boost::asio::async_initiate<Token, async_for_each_signature>(
        detail::named_for_each_initiation<Op, E>{op, &ex}, token, detail::own_items<Op>(std::forward<R>(items)));
  }
};

/// Runs a kernel on one item, asynchronously; completes with (std::exception_ptr, result),
/// or (std::exception_ptr) for a void kernel.
template <call_profile P = runtime_profile_source>
struct async_submit_fn {
  template <class Op, class Token>
  auto operator()(const Op& op, input_t<Op> item, Token&& token) const {
    return (*this)(op, std::move(item), call_options{}, std::forward<Token>(token));
  }
  template <class Op, class Token>
  auto operator()(const Op& op, input_t<Op> item, const call_options& o, Token&& token) const {
    static_assert(check_operation<Op>());
    static_assert(std::is_void_v<output_t<Op>> || std::is_default_constructible_v<output_t<Op>>,
                  "breakeven::async_submit needs a default-constructible output_type (passed with an error)");
    return boost::asio::async_initiate<Token, async_submit_signature<Op>>(detail::submit_initiation<Op, P>{op, o},
                                                                          token, std::move(item));
  }
  template <class Op, executor E, class Token>
  auto operator()(const Op& op, input_t<Op> item, E& ex, Token&& token) const {
    static_assert(check_operation<Op>());
    static_assert(std::is_void_v<output_t<Op>> || std::is_default_constructible_v<output_t<Op>>,
                  "breakeven::async_submit needs a default-constructible output_type (passed with an error)");
    static_assert(admits_v<E, Op>, "breakeven::async_submit: this executor does not admit the kernel (see its traits)");
    return boost::asio::async_initiate<Token, async_submit_signature<Op>>(detail::named_submit_initiation<Op, E>{op, &ex},
                                                                          token, std::move(item));
  }
};

/// `breakeven::async_map(op, items, token)`: results in input order, by completion token.
inline constexpr async_map_fn<> async_map{};
/// `breakeven::async_for_each(op, items, token)`: the kernel's effects, by completion token.
inline constexpr async_for_each_fn<> async_for_each{};
/// `breakeven::async_submit(op, item, token)`: one result, by completion token.
inline constexpr async_submit_fn<> async_submit{};

/// The same operations with a profile other than the build's default.
template <profile_source P>
inline constexpr async_map_fn<P> async_map_with{};
template <profile_source P>
inline constexpr async_for_each_fn<P> async_for_each_with{};
template <profile_source P>
inline constexpr async_submit_fn<P> async_submit_with{};

}  // namespace breakeven
