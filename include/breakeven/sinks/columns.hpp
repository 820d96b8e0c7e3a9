// breakeven/sinks/columns.hpp - a row's columns as the shipped sinks see them: a tuple-like
// row (std::tuple, std::pair, std::array) is one column per element, any other row is one
// column. A column is an integer, a floating-point number, a string, or a std::optional of
// one (empty: NULL).
#pragma once

#include <cstddef>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace breakeven::sinks {

namespace detail {
template <class T>
concept tuple_like = requires { std::tuple_size<T>::value; };
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
}  // namespace detail

/// The number of columns of a row of type T.
template <class T>
constexpr std::size_t column_count() {
  if constexpr (detail::tuple_like<T>) return std::tuple_size_v<T>;
  else return 1;
}

/// Calls f(column) for each column of `row`, in order.
template <class T, class F>
void for_each_column(const T& row, F&& f) {
  if constexpr (detail::tuple_like<T>) std::apply([&](const auto&... c) { (f(c), ...); }, row);
  else f(row);
}

/// A column's value as text (what PostgreSQL's text protocol and the file sink write);
/// returns false for NULL.
template <class C>
bool column_text(const C& c, std::string& out) {
  if constexpr (detail::is_optional<C>::value) {
    if (!c) return false;
    return column_text(*c, out);
  } else if constexpr (std::is_same_v<C, bool>) {
    out = c ? "true" : "false";
  } else if constexpr (std::is_integral_v<C>) {
    out = std::to_string(c);
  } else if constexpr (std::is_floating_point_v<C>) {
    char b[40];
    const int k = std::snprintf(b, sizeof b, "%.17g", static_cast<double>(c));
    out.assign(b, static_cast<std::size_t>(k));
  } else {
    static_assert(std::is_convertible_v<const C&, std::string_view>,
                  "breakeven sinks: a column must be an integer, a floating-point number, a string or an optional of one");
    out.assign(std::string_view(c));
  }
  return true;
}

}  // namespace breakeven::sinks
