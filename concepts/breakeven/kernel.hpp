// breakeven/kernel.hpp - a kernel from a callable in one line: a name, a cost per item, and
// the item types deduced from the call signature. Standard library only.
//
//   constexpr auto square = breakeven::kernel<"square", 2us>([](int x) { return x * x; });
//   std::vector<int> squares = breakeven::map(square, xs);   // the debug log says "square"
//
//   // other traits in a kernel_options (designated initializers):
//   constexpr auto parse = breakeven::kernel<"parse", 40us, breakeven::kernel_options{.thread_safe = false}>(
//       [](const std::string& line) { return legacy_parse(line); });
//
// The name and the cost are template arguments, so the traits stay `static constexpr`: the
// decision is made at compile time wherever the batch size is known, as for any kernel.
// The name is also the kernel's registered name, by which worker processes find it: a
// kernel from a lambda without captures runs on every executor, the process pools included
// (each worker default-constructs it). A lambda with captures carries state that cannot
// cross a process boundary: the process pools refuse it at compile time.
#pragma once

#include <breakeven/traits.hpp>

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <type_traits>
#include <utility>

namespace breakeven {

/// A kernel's name as a template argument: a string literal.
template <std::size_t N>
struct kernel_name {
  char chars[N]{};
  consteval kernel_name(const char (&s)[N]) noexcept {  // NOLINT: implicit, from a literal
    for (std::size_t i = 0; i < N; ++i) chars[i] = s[i];
  }
  constexpr std::string_view view() const noexcept { return {chars, N - 1}; }
};

/// A kernel's cost per item as a template argument: a std::chrono::duration, or
/// breakeven::unknown_cost (the run time measures it).
struct kernel_cost {
  std::int64_t ns = -1;  ///< -1: unknown
  template <class Rep, class Period>
  consteval kernel_cost(std::chrono::duration<Rep, Period> d) noexcept  // NOLINT: implicit
      : ns(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count()) {}
  consteval kernel_cost(unknown_cost_t) noexcept {}  // NOLINT: implicit
};

/// A variance the user chose, or none (then it is the default, or inferred where measured).
struct variance_choice {
  bool set = false;
  breakeven::variance value = breakeven::variance::low;
  constexpr variance_choice() noexcept = default;
  constexpr variance_choice(breakeven::variance v) noexcept : set(true), value(v) {}  // NOLINT: implicit
};

/// The traits of an adapted kernel besides its name and cost, with the defaults of any kernel.
struct kernel_options {
  bool thread_safe = true;                         ///< false: never on the thread pool
  bool isolation = false;                          ///< true: only in worker processes
  bool shared_sink = false;                        ///< writes to one shared sink
  breakeven::bound bound = breakeven::bound::cpu;  ///< cpu, io or memory
  variance_choice variance{};                      ///< unset: the default (or measured)
};

namespace detail {

// The one parameter and the result of a call operator.
template <class M>
struct call_signature {
  static constexpr bool deduced = false;
};
#define BREAKEVEN_DETAIL_CALL_SIGNATURE(QUALIFIERS)       \
  template <class C, class R, class A>                    \
  struct call_signature<R (C::*)(A) QUALIFIERS> {         \
    static constexpr bool deduced = true;                 \
    using input = std::remove_cvref_t<A>;                 \
    using output = R;                                     \
  };
BREAKEVEN_DETAIL_CALL_SIGNATURE(const)
BREAKEVEN_DETAIL_CALL_SIGNATURE(const noexcept)
BREAKEVEN_DETAIL_CALL_SIGNATURE(const&)
BREAKEVEN_DETAIL_CALL_SIGNATURE(const& noexcept)
#undef BREAKEVEN_DETAIL_CALL_SIGNATURE

template <class F>
struct signature_of {
  static constexpr bool deduced = false;
};
template <class F>
  requires requires { &F::operator(); }
struct signature_of<F> : call_signature<decltype(&F::operator())> {};

// The `variance` trait, declared only when the user chose one.
template <variance_choice V>
struct declared_variance {};
template <variance_choice V>
  requires(V.set)
struct declared_variance<V> {
  static constexpr breakeven::variance variance = V.value;
};

template <kernel_cost C>
consteval auto cost_trait() {
  if constexpr (C.ns < 0) return unknown_cost;
  else return std::chrono::nanoseconds{C.ns};
}

}  // namespace detail

/// A kernel made of callable `F` by breakeven::kernel: its traits from the template arguments,
/// its item types from F's call operator.
template <kernel_name Name, kernel_cost Cost, kernel_options Options, class F>
class adapted_kernel : public detail::declared_variance<Options.variance> {
  using signature = detail::signature_of<F>;

 public:
  using input_type = typename signature::input;
  using output_type = typename signature::output;

  static constexpr std::string_view name = Name.view();
  static constexpr auto cost = detail::cost_trait<Cost>();
  static constexpr bool thread_safe = Options.thread_safe;
  static constexpr bool isolation = Options.isolation;
  static constexpr bool shared_sink = Options.shared_sink;
  static constexpr breakeven::bound bound = Options.bound;

  /// Default-constructs the callable (a lambda without captures): what a worker process does.
  constexpr adapted_kernel() requires std::default_initializable<F> = default;
  constexpr explicit adapted_kernel(F f) noexcept(std::is_nothrow_move_constructible_v<F>) : f_(std::move(f)) {}

  constexpr output_type operator()(const input_type& x) const { return std::invoke(f_, x); }

  /// The callable.
  constexpr const F& callable() const noexcept { return f_; }

 private:
  [[no_unique_address]] F f_;
};

/// Makes a kernel of a lambda or function object taking one item: `Name` (its name in logs,
/// explanations and worker processes), `Cost` per item, `Options` for the other traits.
template <kernel_name Name, kernel_cost Cost, kernel_options Options = kernel_options{}, class F>
constexpr auto kernel(F f) {
  static_assert(std::is_class_v<F>,
                "breakeven::kernel takes a lambda or a function object; wrap a function in a lambda: "
                "[](const T& x) { return f(x); }");
  static_assert(detail::signature_of<F>::deduced,
                "breakeven::kernel cannot deduce the item type: the callable must have one call operator, const, "
                "taking one parameter of a definite type (not auto)");
  if constexpr (detail::signature_of<F>::deduced) {
    using In = typename detail::signature_of<F>::input;
    static_assert(std::invocable<const F&, const In&>,
                  "breakeven::kernel: the callable must accept its item as a const reference (by value or const&)");
  }
  return adapted_kernel<Name, Cost, Options, F>(std::move(f));
}

}  // namespace breakeven
