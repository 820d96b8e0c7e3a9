// breakeven/traits.hpp - the cost and payload vocabulary a kernel is annotated with.
//
// A kernel (an *operation*) is a type with an input and an output type per item, a call
// operator, and `static constexpr` traits that say what one item costs. Traits are read
// from the kernel's own members, or from a specialization of `breakeven::op_traits<Op>`
// for kernels the user cannot change (a lambda, a third-party functor). Everything here
// is standard library only: a file that only declares kernels stays cheap to compile.
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace breakeven {

/// What limits a kernel: the CPU, waiting on I/O, or memory bandwidth.
enum class bound : std::uint8_t { cpu, io, memory };

/// How much the cost of one item varies across items.
enum class variance : std::uint8_t { low, medium, high };

/// The tag type of an unknown per-item cost: the run time measures it.
struct unknown_cost_t {
  friend constexpr bool operator==(unknown_cost_t, unknown_cost_t) noexcept { return true; }
};

/// Declares a kernel's cost per item as unknown (`static constexpr auto cost = breakeven::unknown_cost;`).
inline constexpr unknown_cost_t unknown_cost{};

/// Specialize for a kernel type you do not own; members present there take precedence
/// over the kernel's own static members, members absent fall back to them, then to defaults.
template <class Op>
struct op_traits {
  using breakeven_primary_op_traits = void;  // marks the unspecialized template
};

namespace detail {

template <class T>
struct is_chrono_duration : std::false_type {};
template <class Rep, class Period>
struct is_chrono_duration<std::chrono::duration<Rep, Period>> : std::true_type {};

template <class Op>
concept has_op_traits_specialization =
    !requires { typename op_traits<Op>::breakeven_primary_op_traits; };

// `cost` is valid when it is a std::chrono::duration or breakeven::unknown_cost.
template <class T>
concept cost_value = is_chrono_duration<std::remove_cvref_t<T>>::value ||
                     std::same_as<std::remove_cvref_t<T>, unknown_cost_t>;

}  // namespace detail

// Each trait is looked up first in op_traits<Op> (when specialized), then on Op itself.
// The macro below is not exported: it writes the two-level detection for one member.
#define BREAKEVEN_DETAIL_MEMBER_LOOKUP(NAME)                                          \
  namespace detail {                                                                  \
  template <class S>                                                                  \
  concept has_member_##NAME = requires { S::NAME; };                                  \
  template <class Op>                                                                 \
  concept has_trait_##NAME = (has_op_traits_specialization<Op> &&                     \
                              has_member_##NAME<op_traits<Op>>) ||                    \
                             has_member_##NAME<Op>;                                   \
  template <class Op>                                                                 \
  consteval decltype(auto) trait_##NAME() {                                           \
    if constexpr (has_op_traits_specialization<Op> && has_member_##NAME<op_traits<Op>>) \
      return (op_traits<Op>::NAME);                                                   \
    else                                                                              \
      return (Op::NAME);                                                              \
  }                                                                                   \
  }

BREAKEVEN_DETAIL_MEMBER_LOOKUP(cost)
BREAKEVEN_DETAIL_MEMBER_LOOKUP(bytes_in)
BREAKEVEN_DETAIL_MEMBER_LOOKUP(bytes_out)
BREAKEVEN_DETAIL_MEMBER_LOOKUP(bound)
BREAKEVEN_DETAIL_MEMBER_LOOKUP(thread_safe)
BREAKEVEN_DETAIL_MEMBER_LOOKUP(isolation)
BREAKEVEN_DETAIL_MEMBER_LOOKUP(shared_sink)
BREAKEVEN_DETAIL_MEMBER_LOOKUP(variance)
BREAKEVEN_DETAIL_MEMBER_LOOKUP(name)
#undef BREAKEVEN_DETAIL_MEMBER_LOOKUP

namespace detail {

template <class S>
concept has_input_type_member = requires { typename S::input_type; };
template <class S>
concept has_output_type_member = requires { typename S::output_type; };

template <class Op>
struct input_type_of {};
template <class Op>
  requires(has_op_traits_specialization<Op> && has_input_type_member<op_traits<Op>>)
struct input_type_of<Op> {
  using type = typename op_traits<Op>::input_type;
};
template <class Op>
  requires(!(has_op_traits_specialization<Op> && has_input_type_member<op_traits<Op>>) &&
           has_input_type_member<Op>)
struct input_type_of<Op> {
  using type = typename Op::input_type;
};

template <class Op>
struct output_type_of {};
template <class Op>
  requires(has_op_traits_specialization<Op> && has_output_type_member<op_traits<Op>>)
struct output_type_of<Op> {
  using type = typename op_traits<Op>::output_type;
};
template <class Op>
  requires(!(has_op_traits_specialization<Op> && has_output_type_member<op_traits<Op>>) &&
           has_output_type_member<Op>)
struct output_type_of<Op> {
  using type = typename Op::output_type;
};

}  // namespace detail

/// The type of one input item of kernel `Op`.
template <class Op>
using input_t = typename detail::input_type_of<std::remove_cvref_t<Op>>::type;

/// The type of one output item of kernel `Op`.
template <class Op>
using output_t = typename detail::output_type_of<std::remove_cvref_t<Op>>::type;

}  // namespace breakeven
