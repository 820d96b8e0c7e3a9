// build error: static.assert(ion)? failed.*no 'input_type' trait
#include <breakeven/operation.hpp>
struct k {
#ifdef BREAKEVEN_TWIN
  using input_type = int;
#endif
  using output_type = int;
  static constexpr auto cost = std::chrono::microseconds{2};
  int operator()(const int& x) const { return x; }
};
static_assert(breakeven::check_operation<k>());
