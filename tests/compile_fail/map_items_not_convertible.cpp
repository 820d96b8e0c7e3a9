// build error: static.assert(ion)? failed.*do not convert to the kernel's input_type
#include <breakeven/api.hpp>
#include <string>
#include <vector>
struct k {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::microseconds{2};
  int operator()(const int& x) const { return x; }
};
#ifdef BREAKEVEN_TWIN
using item = short;
#else
using item = std::string;
#endif
int main() { return static_cast<int>(breakeven::map(k{}, std::vector<item>{}).size()); }
