// breakeven/executor/bulk.hpp - what every executor's bulk calls and submit() accept, and the
// checks that turn a wrong argument into one error line naming it.
#pragma once

#include <breakeven/executor.hpp>
#include <breakeven/operation.hpp>

#include <concepts>
#include <cstddef>
#include <exception>
#include <functional>
#include <future>
#include <iterator>
#include <span>
#include <stop_token>
#include <type_traits>
#include <utility>

namespace breakeven {

/// The input of a bulk call: a sized random-access range (std::vector, std::array, std::span,
/// a random-access range-v3 view). Item i is read as `begin(in)[i]`.
template <class R>
concept bulk_input = std::ranges::random_access_range<R> && std::ranges::sized_range<R>;

/// The output of bulk_map for kernel `Op`: a random-access iterator; item i goes to `out[i]`.
template <class Out, class Op>
concept bulk_output = std::copy_constructible<Out> && requires(Out out, std::ptrdiff_t i, output_t<Op>&& v) {
  out[i] = std::move(v);
};

/// An executor whose bulk calls can be stopped between chunks: `bulk_map(op, in, out, s,
/// std::stop_token)` (and bulk_for_each likewise) claims no chunk once a stop is requested,
/// lets the chunks in flight finish, and returns whether every item ran.
template <class E>
concept stoppable_executor =
    executor<E> && requires(E& e, const detail::archetype_kernel& op, std::span<const detail::archetype_item> in,
                            detail::archetype_item* out, const schedule& s, std::stop_token stop) {
      { e.bulk_map(op, in, out, s, stop) } -> std::same_as<bool>;
    };

namespace detail {

// The checks below fail with one static_assert per broken requirement and return whether
// all hold; entry points compile their body under `if constexpr (check...)`, so that a
// broken argument yields that one message and no cascade.

/// Checks the arguments of bulk_for_each(op, in).
template <class Op, class In>
consteval bool check_bulk_input() {
  check_operation<Op>();
  static_assert(bulk_input<In>,
                "breakeven: a bulk call's input must be a sized random-access range (std::vector, "
                "std::array, std::span, a random-access range-v3 view)");
  if constexpr (operation<Op> && bulk_input<In>) {
    static_assert(std::invocable<const Op&, std::ranges::range_reference_t<In>>,
                  "breakeven: the kernel cannot be called with an element of the input range "
                  "(it is called as op(const input_type&))");
    return std::invocable<const Op&, std::ranges::range_reference_t<In>>;
  }
  return false;
}

/// Checks the arguments of bulk_map(op, in, out).
template <class Op, class In, class Out>
consteval bool check_bulk_map() {
  if constexpr (!check_bulk_input<Op, In>()) {
    return false;
  } else if constexpr (std::is_void_v<output_t<Op>>) {
    static_assert(!std::is_void_v<output_t<Op>>,
                  "breakeven: bulk_map needs a kernel with an output: use bulk_for_each for a kernel "
                  "whose output_type is void");
    return false;
  } else {
    static_assert(bulk_output<Out, Op>,
                  "breakeven: bulk_map's output must be a random-access iterator with out[i] "
                  "assignable from the kernel's output_type");
    return bulk_output<Out, Op>;
  }
}

/// Whether an executor of the caller's process admits kernel `Op`: never a kernel that asks
/// for isolation, and with `Threads`, only a thread-safe one.
template <class Op, bool Threads>
consteval bool in_process_admits() {
  if constexpr (operation<Op>)
    return (!Threads || kernel_traits<Op>::thread_safe) && !kernel_traits<Op>::isolation;
  else
    return false;
}

/// Checks that an executor of the caller's process admits `Op`, naming the trait that refuses it.
template <class Op, bool Threads>
consteval bool check_in_process() {
  check_operation<Op>();
  if constexpr (operation<Op>) {
    static_assert(!Threads || kernel_traits<Op>::thread_safe,
                  "breakeven: the thread pool needs a thread-safe kernel (its 'thread_safe' trait is false)");
    static_assert(!kernel_traits<Op>::isolation, "breakeven: the kernel's 'isolation' trait requires a process pool");
  }
  return in_process_admits<Op, Threads>();
}

/// The body of a bulk_map, as executors run it: item i sets out[i] = op(in[i]).
template <class Op, class In, class Out>
auto map_item(const Op& op, In& in, Out out) {
  auto first = std::ranges::begin(in);
  using diff = std::iter_difference_t<decltype(first)>;
  return [&op, first, out](std::size_t i) { out[static_cast<diff>(i)] = std::invoke(op, first[static_cast<diff>(i)]); };
}

/// The body of a bulk_for_each: item i calls op(in[i]).
template <class Op, class In>
auto for_each_item(const Op& op, In& in) {
  auto first = std::ranges::begin(in);
  using diff = std::iter_difference_t<decltype(first)>;
  return [&op, first](std::size_t i) { std::invoke(op, first[static_cast<diff>(i)]); };
}

/// Runs op(x) and stores its result, or the exception it threw (its type kept), in `p`.
template <class Op, class T>
void fulfil(std::promise<output_t<Op>>& p, const Op& op, const T& x) noexcept {
  try {
    if constexpr (std::is_void_v<output_t<Op>>) {
      std::invoke(op, x);
      p.set_value();
    } else {
      p.set_value(std::invoke(op, x));
    }
  } catch (...) {
    p.set_exception(std::current_exception());
  }
}

}  // namespace detail
}  // namespace breakeven
