// Annotates a kernel with the light root only.
#include <breakeven/concepts.hpp>
struct k {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::microseconds{5};
  int operator()(const int& x) const { return x + 1; }
};
static_assert(breakeven::operation<k>);
int main() { return k{}(41) == 42 ? 0 : 1; }
