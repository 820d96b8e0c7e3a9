// build error: static.assert(ion)? failed.*thread pool needs a thread-safe kernel
#include <breakeven/executor/thread_pool.hpp>
#include <vector>
struct k {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = std::chrono::microseconds{2};
#ifdef BREAKEVEN_TWIN
  static constexpr bool thread_safe = true;
#else
  static constexpr bool thread_safe = false;
#endif
  int operator()(const int& x) const { return x; }
};
void run(breakeven::thread_pool& pool, const std::vector<int>& in, int* out) { pool.bulk_map(k{}, in, out); }
