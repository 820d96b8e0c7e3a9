// breakeven/type_name.hpp - the compiler's spelling of a type or a constant, at compile time,
// read from __PRETTY_FUNCTION__ (the same in every run of one binary). Standard library only.
#pragma once

#include <string_view>

namespace breakeven::detail {

/// The template argument that `pretty` (a __PRETTY_FUNCTION__ of a template with one
/// parameter named `param`) binds to it. g++ writes "[with T = int; ...]" (or "[with auto
/// V = f]"), clang "[T = int]".
consteval std::string_view pretty_argument(std::string_view pretty, std::string_view param) {
  const auto open = pretty.find('[');
  auto b = pretty.find(param, open);
  while (b != std::string_view::npos && pretty.substr(b + param.size(), 3) != " = ") b = pretty.find(param, b + 1);
  b += param.size() + 3;
#if defined(__clang__)
  return pretty.substr(b, pretty.rfind(']') - b);
#else
  return pretty.substr(b, pretty.find_first_of(";]", b) - b);
#endif
}

/// The compiler's name of type `T`.
template <class T>
consteval std::string_view type_name() {
  return pretty_argument(__PRETTY_FUNCTION__, "T");
}

/// The compiler's spelling of the constant `V` (for a function: its qualified name).
template <auto V>
consteval std::string_view value_name() {
  return pretty_argument(__PRETTY_FUNCTION__, "V");
}

}  // namespace breakeven::detail
