// kernels/legacy.hpp - a kernel that is not thread-safe, as legacy C code often is: it
// tokenizes a log line with std::strtok over one global scratch buffer.
#pragma once

#include <breakeven/traits.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

namespace breakeven::examples {

/// What the tokenizer finds in one line.
struct token_stats {
  static constexpr bool bitwise_transport = true;  ///< plain counters: they travel as their bytes
  std::uint32_t tokens = 0;        ///< tokens between the delimiters
  std::uint32_t numeric = 0;       ///< tokens made of decimal digits only
  std::uint64_t numeric_sum = 0;   ///< their sum (modulo 2^64)
  std::uint32_t longest = 0;       ///< the longest token's length
  std::uint64_t fingerprint = 0;   ///< FNV-1a of the tokens, each followed by a 0 byte
  friend constexpr bool operator==(const token_stats&, const token_stats&) = default;
};

namespace detail {
/// The legacy code's scratch buffer: one per program, shared by every caller.
inline char legacy_line[4096];
/// The delimiters of the legacy log format.
inline constexpr const char* legacy_delimiters = " ,;=\t[]\"";
}  // namespace detail

/// Tokenizes a log line the way a legacy C routine does: copy the line into a global buffer,
/// then walk it with std::strtok.
///
/// NOT thread-safe, for two reasons that are both real global state: std::strtok keeps its
/// position in a hidden static pointer between calls, and the line is copied into one global
/// buffer. Two threads running it at once overwrite each other's buffer and position, and
/// return each other's tokens (or read past a line's end). Separate processes each have their
/// own copy of both, so the library may run it sequentially or in processes, never on threads.
/// (strtok_r and a local buffer would fix it; the point of the kernel is code one cannot fix.)
struct legacy_tokenize {
  using input_type = std::string;
  using output_type = token_stats;
  static constexpr std::string_view name = "legacy-tokenize";
  /// Lines longer than this (the global buffer less its terminator) are refused.
  static constexpr std::size_t max_line = sizeof(detail::legacy_line) - 1;
  /// The line size `cost` was measured at (data.hpp's log lines average 117 bytes).
  static constexpr std::size_t representative_bytes = 120;
  // Measured on the 2-vCPU development VM, Release build, data.hpp's log lines:
  //   scripts/bench kernels  ->  kernel.legacy: 295 ns/item
  static constexpr auto cost = std::chrono::nanoseconds{295};
  static constexpr std::size_t bytes_in(const std::string& line) noexcept { return line.size(); }
  static constexpr std::size_t bytes_out = sizeof(token_stats);
  static constexpr breakeven::bound bound = breakeven::bound::cpu;
  static constexpr breakeven::variance variance = breakeven::variance::low;
  static constexpr bool thread_safe = false;

  /// Throws std::length_error for a line longer than max_line and std::invalid_argument for a
  /// line holding a 0 byte (strtok would silently stop there).
  token_stats operator()(const std::string& line) const {
    if (line.size() > max_line)
      throw std::length_error("legacy-tokenize: line of " + std::to_string(line.size()) +
                              " bytes exceeds the legacy buffer of " + std::to_string(max_line));
    if (line.find('\0') != std::string::npos)
      throw std::invalid_argument("legacy-tokenize: line holds a 0 byte");
    std::memcpy(detail::legacy_line, line.c_str(), line.size() + 1);
    token_stats out;
    out.fingerprint = 0xcbf29ce484222325ull;
    for (char* tok = std::strtok(detail::legacy_line, detail::legacy_delimiters); tok != nullptr;
         tok = std::strtok(nullptr, detail::legacy_delimiters)) {
      ++out.tokens;
      std::uint32_t len = 0;
      bool digits = true;
      std::uint64_t value = 0;
      for (const char* c = tok; *c != '\0'; ++c, ++len) {
        out.fingerprint = (out.fingerprint ^ static_cast<unsigned char>(*c)) * 0x100000001b3ull;
        if (*c >= '0' && *c <= '9') value = value * 10 + static_cast<std::uint64_t>(*c - '0');
        else digits = false;
      }
      out.fingerprint *= 0x100000001b3ull;  // the 0 byte after each token
      if (digits) {
        ++out.numeric;
        out.numeric_sum += value;
      }
      if (len > out.longest) out.longest = len;
    }
    return out;
  }
};

}  // namespace breakeven::examples
