// breakeven/operation.hpp - the `operation` concept, normalized kernel traits, and the
// checks that turn a badly annotated kernel into one error line naming the trait.
#pragma once

#include <breakeven/traits.hpp>
#include <breakeven/type_name.hpp>

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <type_traits>

namespace breakeven {
namespace detail {

template <class Op>
concept has_types = requires {
  typename input_t<Op>;
  typename output_t<Op>;
};

template <class Op, class In>
concept callable_as_kernel = std::invocable<const Op&, const In&>;

template <class Op>
consteval bool output_matches() {
  if constexpr (!has_types<Op> || !callable_as_kernel<Op, input_t<Op>>)
    return false;
  else if constexpr (std::is_void_v<output_t<Op>>)
    return true;
  else
    return std::convertible_to<std::invoke_result_t<const Op&, const input_t<Op>&>, output_t<Op>>;
}

template <class Op>
consteval bool cost_well_typed() {
  if constexpr (!has_trait_cost<Op>)
    return false;
  else
    return cost_value<decltype(trait_cost<Op>())>;
}

// A trait that is optional must, when present, have the stated type.
#define BREAKEVEN_DETAIL_OPTIONAL_TRAIT_IS(NAME, PRED)              \
  template <class Op>                                               \
  consteval bool NAME##_well_typed() {                              \
    if constexpr (!has_trait_##NAME<Op>)                            \
      return true;                                                  \
    else {                                                          \
      using T = std::remove_cvref_t<decltype(trait_##NAME<Op>())>;  \
      return PRED;                                                  \
    }                                                               \
  }
BREAKEVEN_DETAIL_OPTIONAL_TRAIT_IS(bound, (std::same_as<T, ::breakeven::bound>))
BREAKEVEN_DETAIL_OPTIONAL_TRAIT_IS(variance, (std::same_as<T, ::breakeven::variance>))
BREAKEVEN_DETAIL_OPTIONAL_TRAIT_IS(thread_safe, (std::same_as<T, bool>))
BREAKEVEN_DETAIL_OPTIONAL_TRAIT_IS(isolation, (std::same_as<T, bool>))
BREAKEVEN_DETAIL_OPTIONAL_TRAIT_IS(shared_sink, (std::same_as<T, bool>))
BREAKEVEN_DETAIL_OPTIONAL_TRAIT_IS(name, (std::convertible_to<T, std::string_view>))
#undef BREAKEVEN_DETAIL_OPTIONAL_TRAIT_IS

// bytes_in / bytes_out: absent (sizeof), an unsigned constant, or a static function of the item.
template <class Op, class Item, bool In>
consteval int bytes_form() {  // 0 absent, 1 constant, 2 function of the item, -1 ill-typed
  constexpr bool present = In ? has_trait_bytes_in<Op> : has_trait_bytes_out<Op>;
  if constexpr (!present) {
    return 0;
  } else {
    using Src = std::conditional_t<
        (In ? (has_op_traits_specialization<Op> && has_member_bytes_in<op_traits<Op>>)
            : (has_op_traits_specialization<Op> && has_member_bytes_out<op_traits<Op>>)),
        op_traits<Op>, Op>;
    if constexpr (In) {
      if constexpr (std::is_void_v<Item>) return -1;
      else if constexpr (requires(const Item& x) { { Src::bytes_in(x) } -> std::convertible_to<std::size_t>; }) return 2;
      else if constexpr (std::integral<std::remove_cvref_t<decltype(Src::bytes_in)>>) return 1;
      else return -1;
    } else {
      if constexpr (std::is_void_v<Item>) return -1;
      else if constexpr (requires(const Item& x) { { Src::bytes_out(x) } -> std::convertible_to<std::size_t>; }) return 2;
      else if constexpr (std::integral<std::remove_cvref_t<decltype(Src::bytes_out)>>) return 1;
      else return -1;
    }
  }
}

template <class Op>
consteval bool bytes_well_typed() {
  if constexpr (!has_types<Op>) return true;
  else return bytes_form<Op, input_t<Op>, true>() >= 0 && bytes_form<Op, output_t<Op>, false>() >= 0;
}

}  // namespace detail

/// A kernel: input and output item types, a `cost` trait, callable on a const input item,
/// and every optional trait it declares well typed.
template <class Op>
concept operation =
    detail::has_types<std::remove_cvref_t<Op>> &&
    detail::cost_well_typed<std::remove_cvref_t<Op>>() &&
    detail::output_matches<std::remove_cvref_t<Op>>() &&
    detail::bound_well_typed<std::remove_cvref_t<Op>>() &&
    detail::variance_well_typed<std::remove_cvref_t<Op>>() &&
    detail::thread_safe_well_typed<std::remove_cvref_t<Op>>() &&
    detail::isolation_well_typed<std::remove_cvref_t<Op>>() &&
    detail::shared_sink_well_typed<std::remove_cvref_t<Op>>() &&
    detail::name_well_typed<std::remove_cvref_t<Op>>() &&
    detail::bytes_well_typed<std::remove_cvref_t<Op>>();

/// Fails compilation with one message naming the first missing or ill-typed trait of `Op`.
/// Entry points call this first, so a user's first error line says what to fix; the checks
/// form one chain, so a kernel gets one error, not one per trait that depends on the first.
template <class Op>
consteval bool check_operation() {
  using K = std::remove_cvref_t<Op>;
  constexpr bool has_input = detail::has_input_type_member<op_traits<K>> || detail::has_input_type_member<K>;
  constexpr bool has_output = detail::has_output_type_member<op_traits<K>> || detail::has_output_type_member<K>;
  constexpr bool has_cost = detail::has_trait_cost<K>;  // a bool, not a concept: no notes on failure
  if constexpr (!has_input)
    static_assert(has_input,
                  "breakeven: the kernel has no 'input_type' trait: declare `using input_type = ...;` "
                  "in the kernel or in a specialization of breakeven::op_traits<Kernel>");
  else if constexpr (!has_output)
    static_assert(has_output,
                  "breakeven: the kernel has no 'output_type' trait: declare `using output_type = ...;` "
                  "in the kernel or in a specialization of breakeven::op_traits<Kernel>");
  else if constexpr (!has_cost)
    static_assert(has_cost,
                  "breakeven: the kernel has no 'cost' trait: declare `static constexpr auto cost = "
                  "std::chrono::microseconds{N};` (or `= breakeven::unknown_cost;`)");
  else if constexpr (!detail::cost_well_typed<K>())
    static_assert(detail::cost_well_typed<K>(),
                  "breakeven: the 'cost' trait must be a std::chrono::duration or breakeven::unknown_cost");
  else if constexpr (!detail::bound_well_typed<K>())
    static_assert(detail::bound_well_typed<K>(),
                  "breakeven: the 'bound' trait must be a breakeven::bound (cpu, io or memory)");
  else if constexpr (!detail::variance_well_typed<K>())
    static_assert(detail::variance_well_typed<K>(),
                  "breakeven: the 'variance' trait must be a breakeven::variance (low, medium or high)");
  else if constexpr (!detail::thread_safe_well_typed<K>())
    static_assert(detail::thread_safe_well_typed<K>(), "breakeven: the 'thread_safe' trait must be a bool");
  else if constexpr (!detail::isolation_well_typed<K>())
    static_assert(detail::isolation_well_typed<K>(), "breakeven: the 'isolation' trait must be a bool");
  else if constexpr (!detail::shared_sink_well_typed<K>())
    static_assert(detail::shared_sink_well_typed<K>(), "breakeven: the 'shared_sink' trait must be a bool");
  else if constexpr (!detail::name_well_typed<K>())
    static_assert(detail::name_well_typed<K>(), "breakeven: the 'name' trait must convert to std::string_view");
  else if constexpr (!detail::bytes_well_typed<K>())
    static_assert(detail::bytes_well_typed<K>(),
                  "breakeven: the 'bytes_in'/'bytes_out' traits must be an unsigned constant or "
                  "`static std::size_t bytes_in(const input_type&)`");
  else if constexpr (constexpr bool callable = detail::callable_as_kernel<K, input_t<K>>; !callable)
    static_assert(callable,
                  "breakeven: the kernel must be callable as `output_type operator()(const input_type&) const`");
  else if constexpr (!detail::output_matches<K>())
    static_assert(detail::output_matches<K>(),
                  "breakeven: the kernel's call operator does not return something convertible to 'output_type'");
  return true;
}

namespace detail {
template <class K>
consteval std::int64_t read_cost_ns() {
  using C = std::remove_cvref_t<decltype(trait_cost<K>())>;
  if constexpr (std::same_as<C, unknown_cost_t>)
    return -1;
  else
    return std::chrono::duration_cast<std::chrono::nanoseconds>(trait_cost<K>()).count();
}
template <class K, bool In>
consteval std::size_t read_bytes() {
  using Item = std::conditional_t<In, input_t<K>, output_t<K>>;
  constexpr int form = bytes_form<K, Item, In>();
  if constexpr (form == 1) {
    if constexpr (In) return static_cast<std::size_t>(trait_bytes_in<K>());
    else return static_cast<std::size_t>(trait_bytes_out<K>());
  } else if constexpr (std::is_void_v<Item>) {
    return 0;
  } else {
    return sizeof(Item);  // the default, and the hint for variable-size items
  }
}
// A cost that depends on the item: `static constexpr auto cost_per_byte` (a duration per
// input byte, added to `cost`) or `static auto cost_of(const input_type&)` (a duration).
template <class K>
concept has_cost_per_byte = requires { K::cost_per_byte; } &&
                            is_chrono_duration<std::remove_cvref_t<decltype(K::cost_per_byte)>>::value;
template <class K, class In>
concept has_cost_of = requires(const In& x) {
  { K::cost_of(x) } -> cost_value;
};
}  // namespace detail

/// Normalized traits of a kernel: every trait filled in, defaults applied.
template <operation Op>
struct kernel_traits {
  using kernel_type = std::remove_cvref_t<Op>;
  using input_type = input_t<kernel_type>;
  using output_type = output_t<kernel_type>;

  /// True when the cost per item is declared; false for breakeven::unknown_cost.
  static constexpr bool cost_known = detail::read_cost_ns<kernel_type>() >= 0;
  /// Declared cost per item in nanoseconds; -1 when unknown.
  static constexpr std::int64_t cost_ns = detail::read_cost_ns<kernel_type>();
  static_assert(!cost_known || cost_ns >= 0, "breakeven: the 'cost' trait must not be negative");
  /// True when bytes_in is a function of the item.
  static constexpr bool variable_bytes_in = detail::bytes_form<kernel_type, input_type, true>() == 2;
  /// True when bytes_out is a function of the item.
  static constexpr bool variable_bytes_out = detail::bytes_form<kernel_type, output_type, false>() == 2;
  /// Bytes per input item (for variable-size items: sizeof, a hint only).
  static constexpr std::size_t bytes_in = detail::read_bytes<kernel_type, true>();
  /// Bytes per output item (for variable-size items: sizeof, a hint only).
  static constexpr std::size_t bytes_out = detail::read_bytes<kernel_type, false>();

  static constexpr breakeven::bound bound = [] {
    if constexpr (detail::has_trait_bound<kernel_type>) return detail::trait_bound<kernel_type>();
    else return breakeven::bound::cpu;
  }();
  static constexpr breakeven::variance variance = [] {
    if constexpr (detail::has_trait_variance<kernel_type>) return detail::trait_variance<kernel_type>();
    else return breakeven::variance::low;
  }();
  /// Default true: a kernel is a function of its item. Declare false for global state.
  static constexpr bool thread_safe = [] {
    if constexpr (detail::has_trait_thread_safe<kernel_type>) return detail::trait_thread_safe<kernel_type>();
    else return true;
  }();
  static constexpr bool isolation = [] {
    if constexpr (detail::has_trait_isolation<kernel_type>) return detail::trait_isolation<kernel_type>();
    else return false;
  }();
  static constexpr bool shared_sink = [] {
    if constexpr (detail::has_trait_shared_sink<kernel_type>) return detail::trait_shared_sink<kernel_type>();
    else return false;
  }();
  /// True when the kernel declares its variance (else it is low, or measured where costs are).
  static constexpr bool variance_declared = detail::has_trait_variance<kernel_type>;
  /// True when the cost of an item depends on the item: `static auto cost_of(const
  /// input_type&)` returning a duration, or `static constexpr auto cost_per_byte` (a duration
  /// per input byte, as bytes_in counts them, added to `cost`). The batch is then costed by
  /// items spread over it, and `cost` is the typical item for compile-time tables.
  static constexpr bool cost_per_item_varies =
      detail::has_cost_of<kernel_type, input_type> || detail::has_cost_per_byte<kernel_type>;

  /// The kernel's name: its `name` trait, else its type name as the compiler spells it.
  static constexpr std::string_view name = [] {
    if constexpr (detail::has_trait_name<kernel_type>)
      return std::string_view(detail::trait_name<kernel_type>());
    else
      return detail::type_name<kernel_type>();
  }();

  /// The cost of item `x` in nanoseconds, as cost_of or cost_per_byte declare it (else the
  /// `cost` trait; -1 when that is unknown).
  static double item_cost_ns(const input_type& x) {
    if constexpr (detail::has_cost_of<kernel_type, input_type>) {
      const auto c = kernel_type::cost_of(x);
      if constexpr (std::same_as<std::remove_cvref_t<decltype(c)>, unknown_cost_t>) return -1;
      else return std::chrono::duration<double, std::nano>(c).count();
    } else if constexpr (detail::has_cost_per_byte<kernel_type>) {
      const double fixed = cost_ns > 0 ? static_cast<double>(cost_ns) : 0.0;
      return fixed + std::chrono::duration<double, std::nano>(kernel_type::cost_per_byte).count() *
                         static_cast<double>(input_bytes(x));
    } else {
      (void)x;
      return static_cast<double>(cost_ns);
    }
  }

  /// Bytes of one input item as the kernel declares them.
  static constexpr std::size_t input_bytes(const input_type& x) {
    if constexpr (variable_bytes_in) {
      if constexpr (detail::has_op_traits_specialization<kernel_type> && detail::has_member_bytes_in<op_traits<kernel_type>>)
        return op_traits<kernel_type>::bytes_in(x);
      else
        return kernel_type::bytes_in(x);
    } else {
      (void)x;
      return bytes_in;
    }
  }
};

/// The cost per item of `Op` in nanoseconds, or -1 when it is unknown.
template <operation Op>
inline constexpr std::int64_t cost_ns_v = kernel_traits<Op>::cost_ns;

}  // namespace breakeven
