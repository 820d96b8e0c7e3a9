// breakeven/select.hpp - compile-time selection with Boost.Hana: candidate executor types
// -> admissible ones -> least estimated time (after the profile's margins) -> one type.
#pragma once

#include <breakeven/decide.hpp>
#include <breakeven/fwd.hpp>

#include <boost/hana/bool.hpp>
#include <boost/hana/filter.hpp>
#include <boost/hana/length.hpp>
#include <boost/hana/minimum.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>

#include <array>
#include <cstddef>
#include <span>
#include <type_traits>

namespace breakeven {

/// The batch size of range type `R` when its type fixes it (std::array, std::span<T, N>,
/// C arrays); 0 when it is only known at run time.
template <class R>
inline constexpr std::size_t static_batch_v = 0;
template <class T, std::size_t N>
inline constexpr std::size_t static_batch_v<std::array<T, N>> = N;
template <class T, std::size_t N>
inline constexpr std::size_t static_batch_v<T[N]> = N;
template <class T, std::size_t N>
  requires(N != std::dynamic_extent)
inline constexpr std::size_t static_batch_v<std::span<T, N>> = N;
template <class R>
  requires(!std::is_same_v<R, std::remove_cvref_t<R>>)
inline constexpr std::size_t static_batch_v<R> = static_batch_v<std::remove_cvref_t<R>>;

namespace detail {

template <class E>
inline constexpr executor_kind kind_of_v = executor_kind::sequential;
template <>
inline constexpr executor_kind kind_of_v<thread_pool> = executor_kind::thread_pool;
template <>
inline constexpr executor_kind kind_of_v<process_pool> = executor_kind::process_pool;
template <>
inline constexpr executor_kind kind_of_v<shared_memory_pool> = executor_kind::shared_memory;

inline constexpr auto candidate_executors =
    boost::hana::tuple_t<sequential_executor, thread_pool, process_pool, shared_memory_pool>;

// The time a candidate is ranked by: its estimate when it is sequential or clears the
// profile's margins, +inf otherwise (a parallel plan must earn its overhead).
constexpr double ranked_ns(const plan& p, const machine_profile& prof, executor_kind k) noexcept {
  const candidate& c = p.of(k);
  if (k == executor_kind::sequential || !p.of(executor_kind::sequential).admissible) return c.estimate_ns();
  const double work = p.of(executor_kind::sequential).work_ns;
  if (p.needs_measurement || !(work > prof.overhead_factor * c.overhead_ns) ||
      !(work / c.estimate_ns() > prof.min_speedup))
    return 1e300;
  return c.estimate_ns();
}

template <class Op, std::size_t N, class P>
struct selection {
  static constexpr plan the_plan = plan_for<Op, P>(N);

  static constexpr auto admissible = boost::hana::filter(candidate_executors, [](auto t) {
    using E = typename decltype(t)::type;
    return boost::hana::bool_c<the_plan.of(kind_of_v<E>).admissible>;
  });
  static_assert(decltype(boost::hana::length(admissible))::value != 0,
                "breakeven: no executor admits this kernel (see its traits)");

  static constexpr auto best = boost::hana::minimum(admissible, [](auto a, auto b) {
    using A = typename decltype(a)::type;
    using B = typename decltype(b)::type;
    constexpr double ra = ranked_ns(the_plan, P::value, kind_of_v<A>);
    constexpr double rb = ranked_ns(the_plan, P::value, kind_of_v<B>);
    // Ties go to the cheaper machinery, in executor_kind order, as decide() breaks them.
    return boost::hana::bool_c<(ra < rb || (ra == rb && kind_of_v<A> < kind_of_v<B>))>;
  });
  using type = typename decltype(best)::type;
};

}  // namespace detail

/// The executor type chosen at compile time for `N` items of kernel `Op` under profile `P`.
template <operation Op, std::size_t N, profile_source P = default_profile>
using select_t = typename detail::selection<std::remove_cvref_t<Op>, N, P>::type;

/// The plan behind select_t, for static_asserts on its reasons.
template <operation Op, std::size_t N, profile_source P = default_profile>
inline constexpr plan static_plan_v = detail::selection<std::remove_cvref_t<Op>, N, P>::the_plan;

}  // namespace breakeven
