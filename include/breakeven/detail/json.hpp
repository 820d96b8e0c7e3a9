// breakeven/detail/json.hpp - a small strict JSON reader (RFC 8259) for profile files: a value
// tree, and errors that say what was wrong and where (line and column). No NaN, no Infinity,
// no comments, no trailing commas, no duplicate keys, bounded depth and size.
#pragma once

#include <breakeven/detail/decl.hpp>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <system_error>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace breakeven::detail::json {

/// A malformed document: the message names the position and what was expected.
struct parse_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// One JSON value. Objects keep their members in document order (duplicates are refused).
struct value {
  enum class type : std::uint8_t { null, boolean, number, string, array, object };
  type kind = type::null;
  bool b = false;
  double num = 0;
  std::string str;
  std::vector<value> items;        ///< array elements
  std::vector<std::string> keys;   ///< object member names, in document order
  std::vector<value> values;       ///< object member values, beside their keys
  std::size_t line = 1, column = 1;  ///< where the value starts in the document

  bool is(type t) const noexcept { return kind == t; }
  const value* find(std::string_view key) const {
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (keys[i] == key) return &values[i];
    return nullptr;
  }
};

/// The name of a value's type, as error messages use it.
inline std::string_view type_name(value::type t) noexcept {
  switch (t) {
    case value::type::null: return "null";
    case value::type::boolean: return "a boolean";
    case value::type::number: return "a number";
    case value::type::string: return "a string";
    case value::type::array: return "an array";
    case value::type::object: return "an object";
  }
  return "?";
}

/// Limits that keep a hostile document from costing more than a profile should.
struct limits {
  std::size_t max_bytes = std::size_t{1} << 20;
  std::size_t max_depth = 16;
  std::size_t max_string = 4096;
  std::size_t max_members = 1024;  ///< per object or array
};

/// Parses one JSON document; throws parse_error with the line and column of the first fault.
BREAKEVEN_DECL value parse(std::string_view text, limits lim = {});

/// Appends `s` to `out` as a JSON string literal.
BREAKEVEN_DECL void write_string(std::string& out, std::string_view s);

}  // namespace breakeven::detail::json

#if !defined(BREAKEVEN_SEPARATE_COMPILATION)
#include <breakeven/detail/impl/json.ipp>
#endif
