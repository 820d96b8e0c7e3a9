// breakeven/executor/sequential.hpp - the sequential executor: the caller's thread, a plain loop.
#pragma once

#include <breakeven/executor.hpp>
#include <breakeven/executor/bulk.hpp>
#include <breakeven/fwd.hpp>

#include <functional>
#include <future>
#include <iterator>
#include <utility>

namespace breakeven {

/// Runs every item on the calling thread, in order: the baseline each plan is weighed against.
/// bulk_map is the loop one would write by hand; the schedule is accepted and ignored.
class sequential_executor {
 public:
  static constexpr executor_kind kind = executor_kind::sequential;

  /// Every kernel except those whose `isolation` trait asks for a process of their own.
  template <class Op>
  static constexpr bool admits = detail::in_process_admits<Op, false>();

  /// One: the calling thread.
  constexpr unsigned concurrency() const noexcept { return 1; }

  /// out[i] = op(in[i]) for every i, in order. An exception leaves at once, with its type:
  /// it is the one of the lowest failing index, as for every executor.
  template <class Op, class In, class Out>
  void bulk_map(const Op& op, In&& in, Out out, const schedule& = {}) const {
    if constexpr (detail::check_bulk_map<Op, In, Out>() && detail::check_in_process<Op, false>()) {
      auto first = std::ranges::begin(in);
      const auto n = std::ranges::distance(in);
      for (decltype(+n) i = 0; i < n; ++i) out[i] = std::invoke(op, first[i]);
    }
  }

  /// op(in[i]) for every i, in order, for kernels whose effect is the point (void output).
  template <class Op, class In>
  void bulk_for_each(const Op& op, In&& in, const schedule& = {}) const {
    if constexpr (detail::check_bulk_input<Op, In>() && detail::check_in_process<Op, false>()) {
      auto first = std::ranges::begin(in);
      const auto n = std::ranges::distance(in);
      for (decltype(+n) i = 0; i < n; ++i) std::invoke(op, first[i]);
    }
  }

  /// Runs op(x) now and returns a ready future: its value, or its exception with its type.
  template <class Op>
  std::future<output_t<Op>> submit(const Op& op, input_t<Op> x) const {
    std::promise<output_t<Op>> p;
    if constexpr (detail::check_in_process<Op, false>()) detail::fulfil(p, op, std::as_const(x));
    return p.get_future();
  }
};

static_assert(executor<sequential_executor>);

}  // namespace breakeven
