// build error: (incomplete type|undefined template) .*process_pool_input_type_is_not_transportable<.*widget
// max errors: 4
// max lines: 60
// A kernel whose input cannot cross a process boundary: the first error names the type.
#include <breakeven/executor/process_pool.hpp>

#include <map>
#include <string>

struct widget {
#ifdef BREAKEVEN_TWIN
  int id;  // trivially copyable: transportable
#else
  std::map<std::string, int> parts;  // no codec
#endif
};

struct assemble {
  using input_type = widget;
  using output_type = int;
  static constexpr auto cost = std::chrono::milliseconds{1};
  int operator()(const widget&) const { return 1; }
};

int main() {
  breakeven::process_pool pool(1);
  return pool.submit(assemble{}, widget{}).get();
}
