// A user's first translation unit: the umbrella header, one compile-time selection and one
// breakeven::map of a thread-safe kernel whose input is an int (scripts/bench compile). With
// -DBENCH_NOT_THREAD_SAFE the kernel is not thread-safe, so only the process executors can
// run it in parallel and the TU compiles them too.
#include <breakeven/breakeven.hpp>

#include <chrono>
#include <vector>

struct square {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::microseconds{2};
#ifdef BENCH_NOT_THREAD_SAFE
  static constexpr bool thread_safe = false;
#endif
  int operator()(const int& x) const { return x * x; }
};
using chosen = breakeven::select_t<square, 1000, breakeven::profiles::conservative>;

int main() {
  const std::vector<int> items(100, 3);
  const auto out = breakeven::map(square{}, items);
  return out[0] == 9 && sizeof(chosen) > 0 ? 0 : 1;
}
