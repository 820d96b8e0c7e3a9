// build error: static.assert(ion)? failed.*input must be a sized random-access range
#include <breakeven/executor/sequential.hpp>
#include <list>
#include <vector>
struct k {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::microseconds{2};
  int operator()(const int& x) const { return x; }
};
#ifdef BREAKEVEN_TWIN
using batch = std::vector<int>;
#else
using batch = std::list<int>;
#endif
void run(const batch& in, int* out) { breakeven::sequential_executor{}.bulk_map(k{}, in, out); }
