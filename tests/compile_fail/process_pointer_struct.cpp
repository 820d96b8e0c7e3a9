// build error: (incomplete type|undefined template) .*process_pool_input_type_is_not_transportable_describe_it_with_BOOST_HANA_DEFINE_STRUCT_or_if_it_is_raw_bytes_set_enable_bitwise_transport<.*node
// max errors: 3
// max lines: 60
// A struct holding a pointer is trivially copyable but means nothing in another process:
// the first error names the type and both fixes. Its twin describes the struct with Hana.
#include <breakeven/executor/process_pool.hpp>

#include <boost/hana/define_struct.hpp>

#include <string>

#ifdef BREAKEVEN_TWIN
struct node {
  BOOST_HANA_DEFINE_STRUCT(node, (std::string, name), (int, value));  // travels member by member
};
int first_letter(const node& n) { return n.name.empty() ? 0 : n.name[0]; }
#else
struct node {
  const char* name;  // an address in this process
  int value;
};
int first_letter(const node& n) { return n.name[0]; }
#endif

struct first_letter_plus_value {
  using input_type = node;
  using output_type = int;
  static constexpr auto cost = std::chrono::milliseconds{1};
  int operator()(const node& n) const { return first_letter(n) + n.value; }
};

int main() {
  breakeven::process_pool pool(1);
  return pool.submit(first_letter_plus_value{}, node{"n", 0}).get();
}
