// breakeven/select.hpp - compile-time selection: the constant-evaluated plan's executor kind
// -> its executor type. The choice itself is decide()'s alone.
#pragma once

#include <breakeven/decide.hpp>
#include <breakeven/fwd.hpp>

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

// The executor type is read from the constant-evaluated plan: decide() is the only place
// that chooses, select_t only names the type of the kind it chose.
template <class Op, std::size_t N, class P>
struct selection {
  static constexpr plan the_plan = plan_for<Op, P>(N);
  // The same rule, in the same words, as the plan's reason (see decide.hpp, step 1 and 3).
  static_assert(the_plan.runnable(),
                "breakeven: no executor admits this kernel (isolation needs a process executor; see the refusals)");
  using type = executor_type_t<the_plan.kind>;
};

}  // namespace detail

/// The executor type chosen at compile time for `N` items of kernel `Op` under profile `P`.
template <operation Op, std::size_t N, profile_source P = default_profile>
using select_t = typename detail::selection<std::remove_cvref_t<Op>, N, P>::type;

/// The plan behind select_t, for static_asserts on its reasons.
template <operation Op, std::size_t N, profile_source P = default_profile>
inline constexpr plan static_plan_v = detail::selection<std::remove_cvref_t<Op>, N, P>::the_plan;

}  // namespace breakeven
