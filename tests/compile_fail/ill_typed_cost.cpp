// build error: static.assert(ion)? failed.*'cost' trait must be a std::chrono::duration
#include <breakeven/operation.hpp>
struct k {
  using input_type = int;
  using output_type = int;
#ifdef BREAKEVEN_TWIN
  static constexpr auto cost = std::chrono::milliseconds{2};
#else
  static constexpr double cost = 2.0;  // a bare number: milliseconds? seconds?
#endif
  int operator()(const int& x) const { return x; }
};
static_assert(breakeven::check_operation<k>());
