// breakeven/detail/fixed_string.hpp - a string of fixed capacity usable in constant
// expressions, with the number formatting plans need to explain themselves at compile time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace breakeven::detail {

template <std::size_t N>
struct fixed_string {
  char data[N]{};
  std::size_t size = 0;

  constexpr operator std::string_view() const noexcept { return {data, size}; }
  constexpr std::string_view view() const noexcept { return {data, size}; }
  /// True when `s` occurs in the string. A plain loop: g++ 12 cannot evaluate
  /// string_view::find over a temporary's array in a namespace-scope static_assert.
  constexpr bool contains(std::string_view s) const noexcept {
    if (s.size() > size) return false;
    for (std::size_t i = 0; i + s.size() <= size; ++i) {
      std::size_t j = 0;
      while (j < s.size() && data[i + j] == s[j]) ++j;
      if (j == s.size()) return true;
    }
    return false;
  }

  constexpr fixed_string& operator+=(std::string_view s) noexcept {
    for (char c : s) {
      if (size + 1 >= N) break;  // truncate rather than fail: an explanation is best effort
      data[size++] = c;
    }
    return *this;
  }
  constexpr fixed_string& operator+=(char c) noexcept {
    if (size + 1 < N) data[size++] = c;
    return *this;
  }

  constexpr fixed_string& append_uint(std::uint64_t v) noexcept {
    char tmp[24]{};
    int n = 0;
    do {
      tmp[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (n > 0) *this += tmp[--n];
    return *this;
  }

  /// Appends v with up to `decimals` decimals, trailing zeros removed.
  constexpr fixed_string& append_fixed(double v, int decimals) noexcept {
    if (v < 0) {
      *this += '-';
      v = -v;
    }
    if (v > 1e18) return *this += "inf";
    std::uint64_t scale = 1;
    for (int i = 0; i < decimals; ++i) scale *= 10;
    const auto scaled = static_cast<std::uint64_t>(v * static_cast<double>(scale) + 0.5);
    append_uint(scaled / scale);
    auto frac = scaled % scale;
    if (frac != 0) {
      *this += '.';
      char digits[20]{};
      int n = 0;
      for (int i = 0; i < decimals; ++i) {
        digits[decimals - 1 - i] = static_cast<char>('0' + frac % 10);
        frac /= 10;
      }
      n = decimals;
      while (n > 0 && digits[n - 1] == '0') --n;
      for (int i = 0; i < n; ++i) *this += digits[i];
    }
    return *this;
  }

  /// Appends a duration given in nanoseconds in the largest unit that keeps it >= 1.
  constexpr fixed_string& append_duration(double ns) noexcept {
    if (ns < 0) return *this += "unknown";
    if (ns >= 1e9) return append_fixed(ns / 1e9, 3) += " s";
    if (ns >= 1e6) return append_fixed(ns / 1e6, 3) += " ms";
    if (ns >= 1e3) return append_fixed(ns / 1e3, 3) += " us";
    return append_fixed(ns, 1) += " ns";
  }

  /// Appends a byte count in B, KiB, MiB or GiB.
  constexpr fixed_string& append_bytes(double b) noexcept {
    if (b >= 1024.0 * 1024 * 1024) return append_fixed(b / (1024.0 * 1024 * 1024), 2) += " GiB";
    if (b >= 1024.0 * 1024) return append_fixed(b / (1024.0 * 1024), 2) += " MiB";
    if (b >= 1024.0) return append_fixed(b / 1024.0, 2) += " KiB";
    return append_fixed(b, 0) += " B";
  }
};

}  // namespace breakeven::detail
