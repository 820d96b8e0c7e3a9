// build error: static.assert(ion)? failed.*no 'cost' trait
// The user's first error line through the API names the missing trait.
#include <breakeven/api.hpp>
#include <vector>
struct k {
  using input_type = int;
  using output_type = int;
#ifdef BREAKEVEN_TWIN
  static constexpr auto cost = std::chrono::microseconds{2};
#endif
  int operator()(const int& x) const { return x; }
};
int main() { return static_cast<int>(breakeven::map(k{}, std::vector<int>{1, 2}).size()); }
