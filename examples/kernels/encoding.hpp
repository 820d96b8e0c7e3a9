// kernels/encoding.hpp - hexadecimal and base64url (RFC 4648 section 5, no padding) text
// encodings of byte strings, and a byte comparison in constant time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>

namespace breakeven::examples {

/// Lower-case hexadecimal of a contiguous range of bytes (std::array, std::vector, std::span,
/// std::string_view).
template <std::ranges::contiguous_range Bytes>
  requires(sizeof(std::ranges::range_value_t<Bytes>) == 1)
std::string to_hex(const Bytes& bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * std::ranges::size(bytes));
  for (const auto b : bytes) {
    const auto v = static_cast<std::uint8_t>(b);
    s += digits[v >> 4];
    s += digits[v & 15];
  }
  return s;
}

/// The bytes a hexadecimal string spells; nullopt if it has an odd length or a non-hex digit.
inline std::optional<std::string> from_hex(std::string_view hex) {
  const auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out(hex.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<char>(hi * 16 + lo);
  }
  return out;
}

namespace detail {
inline constexpr char base64url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr int base64url_value(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}
}  // namespace detail

/// base64url without padding, as JSON Web Tokens use it.
template <class Byte>
std::string base64url_encode(std::span<const Byte> in) {
  std::string out;
  out.reserve((in.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{static_cast<std::uint8_t>(in[i])} << 16) |
                            (std::uint32_t{static_cast<std::uint8_t>(in[i + 1])} << 8) |
                            std::uint32_t{static_cast<std::uint8_t>(in[i + 2])};
    for (int s = 18; s >= 0; s -= 6) out += detail::base64url_alphabet[(v >> s) & 63];
  }
  const std::size_t rest = in.size() - i;
  if (rest != 0) {
    std::uint32_t v = std::uint32_t{static_cast<std::uint8_t>(in[i])} << 16;
    if (rest == 2) v |= std::uint32_t{static_cast<std::uint8_t>(in[i + 1])} << 8;
    out += detail::base64url_alphabet[(v >> 18) & 63];
    out += detail::base64url_alphabet[(v >> 12) & 63];
    if (rest == 2) out += detail::base64url_alphabet[(v >> 6) & 63];
  }
  return out;
}
/// base64url of the bytes of a string.
inline std::string base64url_encode(std::string_view s) { return base64url_encode(std::span<const char>(s.data(), s.size())); }

/// Decodes unpadded base64url; nullopt for a character outside the alphabet, an impossible
/// length (4k+1), or non-zero bits left over in the last character (a non-canonical encoding).
inline std::optional<std::string> base64url_decode(std::string_view in) {
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (const char c : in) {
    const int v = detail::base64url_value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

/// Compares two byte strings in time that depends on their lengths only, not on where they
/// differ: what a signature check needs so that timing does not reveal a valid prefix.
template <class A, class B>
bool constant_time_equal(std::span<const A> a, std::span<const B> b) noexcept {
  static_assert(sizeof(A) == 1 && sizeof(B) == 1, "constant_time_equal compares bytes");
  if (a.size() != b.size()) return false;
  std::uint8_t diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<std::uint8_t>(static_cast<std::uint8_t>(a[i]) ^ static_cast<std::uint8_t>(b[i]));
  // Keep the optimiser from turning the accumulation into an early exit.
  volatile std::uint8_t sink = diff;
  return sink == 0;
}

}  // namespace breakeven::examples
