// build error: static.assert(ion)? failed.*'bound' trait must be a breakeven::bound
#include <breakeven/operation.hpp>
struct k {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::microseconds{2};
#ifdef BREAKEVEN_TWIN
  static constexpr auto bound = breakeven::bound::io;
#else
  static constexpr const char* bound = "io";
#endif
  int operator()(const int& x) const { return x; }
};
static_assert(breakeven::check_operation<k>());
