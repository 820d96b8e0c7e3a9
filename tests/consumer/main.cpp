// Uses the installed library: a compile-time selection and a map. With an argument, the
// default profile must be the one of that name (the profile the installation carries).
#include <breakeven/breakeven.hpp>
#include <cstdio>
#include <string_view>
#include <vector>
struct square {
  using input_type = int;
  using output_type = long;
  static constexpr auto cost = std::chrono::nanoseconds{3};
  long operator()(const int& x) const { return static_cast<long>(x) * x; }
};
static_assert(std::is_same_v<breakeven::select_t<square, 100>, breakeven::sequential_executor>);
int main(int argc, char** argv) {
  const std::string_view profile = breakeven::default_profile::value.name;
  if (argc > 1 && profile != argv[1]) {
    std::fprintf(stderr, "consumer: the default profile is '%s', the installation's is '%s'\n",
                 breakeven::default_profile::value.name, argv[1]);
    return 1;
  }
  std::vector<int> xs{1, 2, 3, 4};
  const auto ys = breakeven::map(square{}, xs);
  std::printf("%ld\n", ys[3]);
  return ys == std::vector<long>{1, 4, 9, 16} ? 0 : 1;
}
