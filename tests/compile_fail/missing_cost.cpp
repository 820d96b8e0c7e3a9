// build error: static.assert(ion)? failed.*no 'cost' trait
#include <breakeven/operation.hpp>
struct k {
  using input_type = int;
  using output_type = int;
#ifdef BREAKEVEN_TWIN
  static constexpr auto cost = std::chrono::microseconds{2};
#endif
  int operator()(const int& x) const { return x; }
};
static_assert(breakeven::check_operation<k>());
