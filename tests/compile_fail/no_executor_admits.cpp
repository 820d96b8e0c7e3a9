// build error: static.assert(ion)? failed.*no executor admits this kernel \(isolation needs a process executor
// max errors: 2
// (the second error is this file's own check of the twin's choice, not a cascade)
// select_t refuses a kernel no executor admits (isolation, with an input that cannot cross a
// process boundary) in the words of decide()'s reason; the twin's input can cross.
#include <breakeven/select.hpp>
#include <chrono>
#include <string_view>
struct k {
#ifdef BREAKEVEN_TWIN
  using input_type = int;
#else
  using input_type = std::string_view;
#endif
  using output_type = int;
  static constexpr auto cost = std::chrono::microseconds{2};
  static constexpr bool isolation = true;
  int operator()(const input_type&) const { return 1; }
};
using chosen = breakeven::select_t<k, 8>;
static_assert(std::is_same_v<chosen, breakeven::process_pool>);
