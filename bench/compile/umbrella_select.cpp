// The umbrella header and one compile-time selection: what a user's first TU pays.
#include <breakeven/breakeven.hpp>
struct hash {
  using input_type = unsigned long;
  using output_type = unsigned long;
  static constexpr auto cost = std::chrono::microseconds{2};
  unsigned long operator()(const unsigned long& x) const { return x * 31; }
};
static_assert(std::is_same_v<breakeven::select_t<hash, 1000, breakeven::profiles::python_guide>, breakeven::sequential_executor>);
int main() { return static_cast<int>(breakeven::map(hash{}, std::vector<unsigned long>{1, 2}).size()) - 2; }
