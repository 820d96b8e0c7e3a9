// breakeven/detail/impl/json.ipp - the JSON parser, the definitions of json.hpp.
// Included by its header, inline; with BREAKEVEN_SEPARATE_COMPILATION, compiled once
// through <breakeven/impl/src.hpp>.
#pragma once

#include <breakeven/detail/json.hpp>

namespace breakeven::detail::json::impl {

class parser {
 public:
  parser(std::string_view text, limits lim) : s_(text), lim_(lim) {}

  value document() {
    if (s_.size() > lim_.max_bytes)
      throw parse_error("document of " + std::to_string(s_.size()) + " bytes exceeds the limit of " +
                        std::to_string(lim_.max_bytes));
    skip_ws();
    value v = parse_value(0);
    skip_ws();
    if (pos_ != s_.size()) fail("unexpected characters after the document");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw parse_error("line " + std::to_string(line_) + " column " + std::to_string(pos_ - line_start_ + 1) +
                      ": " + what);
  }
  bool at_end() const noexcept { return pos_ >= s_.size(); }
  char peek() const noexcept { return at_end() ? '\0' : s_[pos_]; }
  void skip_ws() noexcept {
    while (!at_end()) {
      const char c = s_[pos_];
      if (c == '\n') {
        ++pos_;
        ++line_;
        line_start_ = pos_;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++pos_;
      } else {
        break;
      }
    }
  }
  void expect_literal(std::string_view lit) {
    if (s_.substr(pos_, lit.size()) != lit) fail("invalid literal (expected '" + std::string(lit) + "')");
    pos_ += lit.size();
  }

  value parse_value(std::size_t depth) {
    if (depth > lim_.max_depth) fail("nesting deeper than " + std::to_string(lim_.max_depth));
    value v;
    v.line = line_;
    v.column = pos_ - line_start_ + 1;
    switch (peek()) {
      case '{': parse_object(v, depth); break;
      case '[': parse_array(v, depth); break;
      case '"':
        v.kind = value::type::string;
        v.str = parse_string();
        break;
      case 't':
        expect_literal("true");
        v.kind = value::type::boolean;
        v.b = true;
        break;
      case 'f':
        expect_literal("false");
        v.kind = value::type::boolean;
        break;
      case 'n': expect_literal("null"); break;
      case '\0':
        if (at_end()) fail("unexpected end of the document");
        fail("unexpected character");
      default:
        if (peek() == '-' || (peek() >= '0' && peek() <= '9')) {
          v.kind = value::type::number;
          v.num = parse_number();
        } else {
          fail(std::string("unexpected character '") + peek() + "' (NaN, Infinity and comments are not JSON)");
        }
    }
    return v;
  }

  void parse_object(value& v, std::size_t depth) {
    v.kind = value::type::object;
    ++pos_;
    skip_ws();
    if (peek() == '}') {
      ++pos_;
      return;
    }
    for (;;) {
      skip_ws();
      if (peek() != '"') fail("expected a string key");
      std::string key = parse_string();
      skip_ws();
      if (peek() != ':') fail("expected ':' after key \"" + key + "\"");
      ++pos_;
      skip_ws();
      if (v.find(key) != nullptr) fail("duplicate key \"" + key + "\"");
      if (v.keys.size() >= lim_.max_members) fail("object of more than " + std::to_string(lim_.max_members) + " members");
      v.values.push_back(parse_value(depth + 1));
      v.keys.push_back(std::move(key));
      skip_ws();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        return;
      }
      fail("expected ',' or '}' in an object");
    }
  }

  void parse_array(value& v, std::size_t depth) {
    v.kind = value::type::array;
    ++pos_;
    skip_ws();
    if (peek() == ']') {
      ++pos_;
      return;
    }
    for (;;) {
      skip_ws();
      if (v.items.size() >= lim_.max_members) fail("array of more than " + std::to_string(lim_.max_members) + " items");
      v.items.push_back(parse_value(depth + 1));
      skip_ws();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        return;
      }
      fail("expected ',' or ']' in an array");
    }
  }

  static void put_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::uint32_t hex4() {
    if (pos_ + 4 > s_.size()) fail("truncated \\u escape");
    std::uint32_t cp = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[pos_++];
      cp <<= 4;
      if (c >= '0' && c <= '9') cp |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') cp |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') cp |= static_cast<std::uint32_t>(c - 'A' + 10);
      else fail("invalid hex digit in \\u escape");
    }
    return cp;
  }

  std::string parse_string() {
    ++pos_;  // opening quote
    std::string out;
    for (;;) {
      if (at_end()) fail("unterminated string");
      const char c = s_[pos_++];
      if (c == '"') break;
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in a string");
      if (c != '\\') {
        out += c;
      } else {
        if (at_end()) fail("unterminated escape");
        switch (s_[pos_++]) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            std::uint32_t cp = hex4();
            if (cp >= 0xD800 && cp <= 0xDBFF) {
              if (s_.substr(pos_, 2) != "\\u") fail("unpaired surrogate in \\u escape");
              pos_ += 2;
              const std::uint32_t lo = hex4();
              if (lo < 0xDC00 || lo > 0xDFFF) fail("invalid low surrogate in \\u escape");
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
              fail("unpaired surrogate in \\u escape");
            }
            put_utf8(out, cp);
            break;
          }
          default: --pos_; fail("invalid escape");
        }
      }
      if (out.size() > lim_.max_string) fail("string longer than " + std::to_string(lim_.max_string));
    }
    return out;
  }

  double parse_number() {
    const std::size_t start = pos_;
    const auto digits = [&] {
      const std::size_t b = pos_;
      while (!at_end() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      return pos_ - b;
    };
    if (peek() == '-') ++pos_;
    if (peek() == '0') {
      ++pos_;
      if (peek() >= '0' && peek() <= '9') fail("leading zeros are not JSON");
    } else if (digits() == 0) {
      fail("invalid number");
    }
    if (peek() == '.') {
      ++pos_;
      if (digits() == 0) fail("invalid number: digits must follow '.'");
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (digits() == 0) fail("invalid number: digits must follow the exponent");
    }
    const std::string_view text = s_.substr(start, pos_ - start);
    if (text.size() > 64) fail("number of more than 64 characters");
    double d = 0;  // from_chars: exact, and independent of the C locale (strtod is not)
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
    if (ec == std::errc::result_out_of_range) {
      // Tiny magnitudes round to zero harmlessly; huge ones are an error.
      const auto e = text.find_first_of("eE");
      if (e == std::string_view::npos || text[e + 1] != '-') fail("number " + std::string(text) + " is out of range");
      d = 0;
    } else if (ec != std::errc{} || end != text.data() + text.size()) {
      fail("invalid number");
    }
    if (!std::isfinite(d)) fail("number " + std::string(text) + " is out of range");
    return d;
  }

  std::string_view s_;
  limits lim_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::size_t line_start_ = 0;
};

}  // namespace breakeven::detail::json::impl

namespace breakeven::detail::json {

BREAKEVEN_DECL value parse(std::string_view text, limits lim) { return impl::parser(text, lim).document(); }

BREAKEVEN_DECL void write_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      out += "\\u00";
      out += hex[u >> 4];
      out += hex[u & 0xF];
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace breakeven::detail::json
