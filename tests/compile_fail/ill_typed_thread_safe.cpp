// build error: static.assert(ion)? failed.*'thread_safe' trait must be a bool
#include <breakeven/operation.hpp>
struct k {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::microseconds{2};
#ifdef BREAKEVEN_TWIN
  static constexpr bool thread_safe = false;
#else
  static constexpr int thread_safe = 0;
#endif
  int operator()(const int& x) const { return x; }
};
static_assert(breakeven::check_operation<k>());
