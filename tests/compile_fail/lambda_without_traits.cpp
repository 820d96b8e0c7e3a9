// build error: static.assert(ion)? failed.*no 'input_type' trait
// A lambda carries no traits: annotate it through breakeven::op_traits.
#include <breakeven/operation.hpp>
inline auto twice = [](const int& x) { return 2 * x; };
using twice_t = decltype(twice);
#ifdef BREAKEVEN_TWIN
template <>
struct breakeven::op_traits<twice_t> {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::nanoseconds{1};
};
#endif
static_assert(breakeven::check_operation<twice_t>());
