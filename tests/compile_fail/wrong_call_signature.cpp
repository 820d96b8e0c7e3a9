// build error: static.assert(ion)? failed.*must be callable as
#include <breakeven/operation.hpp>
#include <string>
struct k {
  using input_type = std::string;
  using output_type = int;
  static constexpr auto cost = std::chrono::microseconds{2};
#ifdef BREAKEVEN_TWIN
  int operator()(const std::string& s) const { return static_cast<int>(s.size()); }
#else
  int operator()(std::string& s) { return static_cast<int>(s.size()); }  // mutates its input
#endif
};
static_assert(breakeven::check_operation<k>());
