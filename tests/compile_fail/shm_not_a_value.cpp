// build error: (incomplete type|undefined template) .*shared_memory_input_is_neither_a_trivially_copyable_value_nor_a_row_view_of_them<.*std::(__cxx11::)?basic_string
// max errors: 3
// max lines: 30
// A kernel whose input cannot live in shared memory as its bytes: the first error names the type.
#include <breakeven/executor/shared_memory.hpp>

#include <string>

struct word_length {
#ifdef BREAKEVEN_TWIN
  using input_type = breakeven::row_view<const char>;  // a row of characters: offsets and lengths
  std::size_t operator()(const breakeven::row_view<const char>& s) const { return s.size(); }
#else
  using input_type = std::string;  // owns memory elsewhere: no fixed bytes to share
  std::size_t operator()(const std::string& s) const { return s.size(); }
#endif
  using output_type = std::size_t;
  static constexpr auto cost = std::chrono::microseconds{1};
};

int main() {
  breakeven::shared_memory_pool pool(1);
  std::string w = "shared";
#ifdef BREAKEVEN_TWIN
  return static_cast<int>(pool.submit(word_length{}, breakeven::row_view<const char>(w.data(), w.size())).get());
#else
  return static_cast<int>(pool.submit(word_length{}, w).get());
#endif
}
