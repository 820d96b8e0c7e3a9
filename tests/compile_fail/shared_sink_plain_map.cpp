// build error: static.assert(ion)? failed.*'shared_sink' trait is true.*breakeven::map_into\(kernel, items, sink\)
#include <breakeven/api.hpp>
#include <vector>
struct k {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::microseconds{2};
#ifndef BREAKEVEN_TWIN
  static constexpr bool shared_sink = true;
#endif
  int operator()(const int& x) const { return x; }
};
auto run(const std::vector<int>& in) { return breakeven::map(k{}, in); }
