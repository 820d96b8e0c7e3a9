// breakeven/asio/pipeline.hpp - async_map_into: breakeven::map_into as an Asio asynchronous
// operation, for programs that already run an io_context. Initiated through
// asio::async_initiate, so it takes a callback, asio::use_future, asio::use_awaitable or any
// other completion token; completes with void(std::exception_ptr, pipeline_report).
//
// The pipeline (its CPU stage and its one writer) runs on a thread of its own, never on the
// caller's: the io_context's threads stay free. The handler runs on its associated executor
// (a strand stays a strand), never inside the initiating call; outstanding work is counted
// on that executor until it runs. The operation owns a copy of the items; the sink must
// outlive it. Item failures are in the report; the exception_ptr carries only a failure of
// the pipeline itself (no thread to run it).
#pragma once

#include <breakeven/asio/async.hpp>
#include <breakeven/pipeline.hpp>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <exception>
#include <thread>
#include <utility>
#include <vector>

namespace breakeven {

/// The completion signature of async_map_into.
using async_map_into_signature = void(std::exception_ptr, pipeline_report);

namespace detail {
template <class Op, class S, profile_source P>
struct map_into_initiation {
  template <class Handler>
  void operator()(Handler&& handler, Op op, std::vector<input_t<Op>> items, S* sink, pipeline_options o) const {
    auto work = boost::asio::make_work_guard(boost::asio::get_associated_executor(handler));
    auto run = [h = std::forward<Handler>(handler), work = std::move(work), op = std::move(op), items = std::move(items),
                sink, o = std::move(o)]() mutable {
      pipeline_report r;
      std::exception_ptr e;
      try {
        r = map_into_with<P>(op, items, *sink, o);
      } catch (...) {
        e = std::current_exception();
      }
      auto ex = work.get_executor();
      boost::asio::post(ex, [h = std::move(h), e, r = std::move(r)]() mutable { std::move(h)(e, std::move(r)); });
      work.reset();
    };
    std::thread(std::move(run)).detach();
  }
};
}  // namespace detail

/// Runs map_into asynchronously; the token receives (std::exception_ptr, pipeline_report).
template <profile_source P = default_profile>
struct async_map_into_fn {
  template <class Op, class R, class S, class Token>
  auto operator()(const Op& op, R&& items, S& sink, const pipeline_options& o, Token&& token) const {
    static_assert(detail::check_map_into<Op>());
    static_assert(detail::check_items<Op, R>());
    static_assert(breakeven::sink<S, output_t<Op>>,
                  "breakeven::async_map_into: the sink must offer write_batch(std::span<const output_type>), flush() and close()");
    return boost::asio::async_initiate<Token, async_map_into_signature>(detail::map_into_initiation<Op, S, P>{}, token, op,
                                                                          detail::own_items<Op>(std::forward<R>(items)),
                                                                          &sink, o);
  }
  template <class Op, class R, class S, class Token>
  auto operator()(const Op& op, R&& items, S& sink, Token&& token) const {
    return (*this)(op, std::forward<R>(items), sink, pipeline_options{}, std::forward<Token>(token));
  }
};

/// `breakeven::async_map_into(kernel, items, sink[, options], token)`.
inline constexpr async_map_into_fn<> async_map_into{};

}  // namespace breakeven
