// kernels/pattern.hpp - pattern matching (the Python multiprocessing guide's "Pattern matching
// (10 patterns)"): ten regular expressions, compiled once per process by RE2 (the regex engine
// a user's log scanner calls), searched for in one text per item.
#pragma once

#include <breakeven/traits.hpp>

#include <re2/re2.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace breakeven::examples {

/// One pattern: a short name and its regular expression (RE2 syntax).
struct pattern_source {
  std::string_view name;
  std::string_view regex;
};

/// The number of patterns.
inline constexpr std::size_t pattern_count = 10;

/// The patterns, in bit order of pattern_hits::mask. Each is what a log scanner looks for.
inline constexpr std::array<pattern_source, pattern_count> pattern_sources{{
    {"email", R"([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"},
    {"url", R"(https?://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~%/?=&-]*)?)"},
    {"ipv4", R"(\b(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}\b)"},
    {"timestamp", R"(\b[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z?)"},
    {"error_level", R"(\b(ERROR|FATAL|CRITICAL)\b)"},
    {"http_5xx", R"(HTTP/[12](\.[01])?" 5[0-9]{2}\b)"},
    {"uuid", R"(\b[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\b)"},
    {"card_number", R"(\b(4[0-9]{3}|5[1-5][0-9]{2})([ -]?[0-9]{4}){3}\b)"},
    {"jwt", R"(\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)"},
    {"sql_injection", R"('\s*(OR|or)\s+[0-9]+\s*=\s*[0-9]+|UNION\s+SELECT|;\s*DROP\s+TABLE)"},
}};

/// Which patterns a text matched (bit i for pattern i) and how many times each.
struct pattern_hits {
  static constexpr bool bitwise_transport = true;  ///< plain counters: they travel as their bytes
  std::uint16_t mask = 0;
  std::array<std::uint16_t, pattern_count> counts{};  ///< saturates at 65535

  /// Matches of all patterns together.
  constexpr unsigned total() const noexcept {
    unsigned t = 0;
    for (const auto c : counts) t += c;
    return t;
  }
  friend constexpr bool operator==(const pattern_hits&, const pattern_hits&) = default;
};

/// The compiled patterns: built once per process on first use (a function-local static, whose
/// initialisation C++ makes thread-safe), shared read-only afterwards.
inline const std::array<std::unique_ptr<const re2::RE2>, pattern_count>& compiled_patterns() {
  static const std::array<std::unique_ptr<const re2::RE2>, pattern_count> compiled = [] {
    std::array<std::unique_ptr<const re2::RE2>, pattern_count> out;
    for (std::size_t i = 0; i < pattern_count; ++i) {
      out[i] = std::make_unique<const re2::RE2>(re2::StringPiece(pattern_sources[i].regex.data(), pattern_sources[i].regex.size()));
      if (!out[i]->ok()) throw std::invalid_argument("pattern-match: RE2 refuses pattern " + std::string(pattern_sources[i].name));
    }
    return out;
  }();
  return compiled;
}

/// Counts the matches of each of the ten patterns in a text.
///
/// Thread-safe: the patterns are compiled once, inside a function-local static; afterwards
/// every call only reads them through const references, and RE2's matching on a const RE2 is
/// documented as safe from many threads at once. A new worker process pays the compilation
/// once, on its first text. RE2 matches in time linear in the text, without recursion.
struct pattern_match {
  using input_type = std::string;
  using output_type = pattern_hits;
  static constexpr std::string_view name = "pattern-match";
  /// The text size `cost` was measured at (data.hpp's texts of >= 1 KiB average 1.1 KiB).
  static constexpr std::size_t representative_bytes = 1100;
  // Measured on the shared 2-vCPU development VM, Release build, while other builds ran (load
  // average 16): scripts/bench kernels gave kernel.pattern: 61860 ns/item, and the unchanged kernels of the same run
  // ran 5x slower than their idle figures, hence ~12 us idle. Re-measure idle to refine.
  static constexpr auto cost = std::chrono::nanoseconds{12'000};
  static constexpr std::size_t bytes_in(const std::string& s) noexcept { return s.size(); }
  static constexpr std::size_t bytes_out = sizeof(pattern_hits);
  static constexpr breakeven::bound bound = breakeven::bound::cpu;
  // Texts of one length cost about the same; how many matches they hold varies the cost a little.
  static constexpr breakeven::variance variance = breakeven::variance::medium;
  static constexpr bool thread_safe = true;

  pattern_hits operator()(const std::string& text) const {
    const auto& patterns = compiled_patterns();
    pattern_hits out;
    for (std::size_t i = 0; i < pattern_count; ++i) {
      std::size_t n = 0;
      re2::StringPiece rest(text.data(), text.size());
      // Successive leftmost matches, each search starting where the last match ended (no
      // pattern matches the empty string, so each step consumes text).
      while (re2::RE2::FindAndConsume(&rest, *patterns[i])) ++n;
      out.counts[i] = static_cast<std::uint16_t>(n > 65535 ? 65535 : n);
      if (n != 0) out.mask = static_cast<std::uint16_t>(out.mask | (1u << i));
    }
    return out;
  }
};

}  // namespace breakeven::examples
