// Declares kernels with nothing but the concepts/ root: this target links breakeven::concepts
// alone (no Boost, no range-v3 on its include path), and must stay cheap to compile.
#include <breakeven/concepts.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

using namespace std::chrono_literals;

struct sha256_kernel {
  using input_type = std::string;
  using output_type = std::array<std::uint8_t, 32>;
  static constexpr auto cost = 2us;
  static constexpr std::size_t bytes_in(const std::string& s) { return s.size(); }
  output_type operator()(const std::string&) const { return {}; }
};

struct legacy_kernel {
  using input_type = int;
  using output_type = int;
  static constexpr auto cost = 50ms;
  static constexpr bool thread_safe = false;
  static constexpr bool isolation = true;
  static constexpr auto variance = breakeven::variance::high;
  int operator()(const int& x) const { return x; }
};

struct probe_kernel {
  using input_type = double;
  using output_type = void;
  static constexpr auto cost = breakeven::unknown_cost;
  static constexpr auto bound = breakeven::bound::io;
  void operator()(const double&) const {}
};

struct third_party {  // a functor its author did not annotate
  long operator()(const long& x) const { return x * 2; }
};
template <>
struct breakeven::op_traits<third_party> {
  using input_type = long;
  using output_type = long;
  static constexpr auto cost = 3ns;
  static constexpr const char* name = "doubler";
};

static_assert(breakeven::operation<sha256_kernel>);
static_assert(breakeven::operation<legacy_kernel>);
static_assert(breakeven::operation<probe_kernel>);
static_assert(breakeven::operation<third_party>);
static_assert(!breakeven::operation<int>);
static_assert(breakeven::kernel_traits<sha256_kernel>::variable_bytes_in);
static_assert(breakeven::kernel_traits<sha256_kernel>::bytes_out == 32);
static_assert(breakeven::kernel_traits<legacy_kernel>::cost_ns == 50'000'000);
static_assert(!breakeven::kernel_traits<legacy_kernel>::thread_safe);
static_assert(!breakeven::kernel_traits<probe_kernel>::cost_known);
static_assert(breakeven::kernel_traits<probe_kernel>::bytes_out == 0);
static_assert(breakeven::kernel_traits<third_party>::name == "doubler");
static_assert(breakeven::kernel_traits<third_party>::cost_ns == 3);
static_assert(breakeven::kernel_traits<sha256_kernel>::name == "sha256_kernel");
static_assert(breakeven::transportable<std::vector<std::pair<int, std::string>>>);
static_assert(!breakeven::transportable<int*>);
static_assert(!breakeven::transportable<std::vector<int*>>);

// Trivially copyable is not transportable: a struct holding an address is neither that nor a
// shared-memory item; raw bytes opt in by a member or the trait.
struct node {
  const char* name;
  int value;
};
struct sample {
  static constexpr bool bitwise_transport = true;
  double t, v;
};
struct rgb {
  unsigned char r, g, b;
};
template <>
inline constexpr bool breakeven::enable_bitwise_transport<rgb> = true;
static_assert(!breakeven::transportable<node> && !breakeven::shm_value<node> && !breakeven::shm_item<node>);
static_assert(breakeven::transportable<sample> && breakeven::shm_value<sample>);
static_assert(breakeven::transportable<rgb> && breakeven::transportable<std::map<std::string, std::vector<rgb>>>);
static_assert(breakeven::transportable<std::variant<int, std::string>> && !breakeven::transportable<std::variant<int, node>>);

// A kernel from a lambda, in the light root too.
inline constexpr auto twice = breakeven::kernel<"twice", std::chrono::nanoseconds{5}>([](int x) { return 2 * x; });
static_assert(breakeven::operation<decltype(twice)>);
static_assert(breakeven::kernel_traits<decltype(twice)>::name == "twice");
static_assert(twice(21) == 42);

// The one type-name helper (the kernel names above and the IPC registry's names use it).
namespace names {
template <class T>
struct box {};
inline int twice(int x) { return 2 * x; }
}  // namespace names
static_assert(breakeven::detail::type_name<int>() == "int");
static_assert(breakeven::detail::type_name<names::box<sha256_kernel>>() == "names::box<sha256_kernel>");
static_assert(breakeven::detail::type_name<std::pair<int, names::box<int>>>() == "std::pair<int, names::box<int> >" ||
              breakeven::detail::type_name<std::pair<int, names::box<int>>>() == "std::pair<int, names::box<int>>");
static_assert(breakeven::detail::value_name<&names::twice>().ends_with("names::twice"));

int main() {
  return breakeven::kernel_traits<sha256_kernel>::input_bytes(std::string(100, 'x')) == 100 ? 0 : 1;
}
