// build error: (incomplete type|undefined template) .*process_pool_input_type_is_not_transportable_describe_it_with_BOOST_HANA_DEFINE_STRUCT_or_if_it_is_raw_bytes_set_enable_bitwise_transport<.*widget
// max errors: 4
// max lines: 60
// A trivially copyable class is not transportable until it says its bytes mean the same in
// another process: the first error names the type and both fixes. The twin opts in.
#include <breakeven/executor/process_pool.hpp>

struct widget {
  int id;
  float weight;
};

#ifdef BREAKEVEN_TWIN
template <>
inline constexpr bool breakeven::enable_bitwise_transport<widget> = true;  // raw bytes: no addresses
#endif

struct assemble {
  using input_type = widget;
  using output_type = int;
  static constexpr auto cost = std::chrono::milliseconds{1};
  int operator()(const widget& w) const { return w.id; }
};

int main() {
  breakeven::process_pool pool(1);
  return pool.submit(assemble{}, widget{1, 2.0f}).get();
}
