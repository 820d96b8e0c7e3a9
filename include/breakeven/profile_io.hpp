// breakeven/profile_io.hpp - machine profiles as files: the run-time profile (JSON, loaded from
// BREAKEVEN_PROFILE or an explicit path, with learned kernel costs beside the terms) and the
// compile-time profile (a generated header defining breakeven::profiles::calibrated).
//
// Reading is strict: every term must be present, of its type and in its range; unknown keys,
// duplicates, NaN, Infinity and out-of-range numbers are errors that name the file, the key
// and the position. A bad file never crashes the program: the throwing loaders say what is
// wrong, and environment_profile() logs it and falls back to the build's default profile.
#pragma once

#include <breakeven/detail/decl.hpp>
#include <breakeven/detail/json.hpp>
#include <breakeven/executor.hpp>
#include <breakeven/profile.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace breakeven {

/// A profile file or text that cannot be used; the message names the source and the fault.
struct profile_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// One kernel's learned cost as a profile file stores it (see learn.hpp).
struct learned_entry {
  std::string kernel;        ///< the kernel's name (kernel_traits<Op>::name)
  double ns_per_item = 0;    ///< smoothed sequential time per item
  double ns_per_byte = 0;    ///< smoothed time per input byte (variable-size items), 0 if unused
  std::uint64_t samples = 0; ///< measurements behind the estimate
};

/// The largest correction a profile file may hold (and feedback.hpp applies): a factor
/// within [1/max_correction, max_correction] on a term of an estimate.
inline constexpr double max_correction = 32;

/// What one executor's measured calls of a kernel said of its estimate (see feedback.hpp):
/// factors on its work, transport and set-up terms, the spread of log(measured / estimated), and how many calls.
struct correction_record {
  double work = 1, transport = 1, setup = 1;
  double spread = 0;
  std::uint64_t runs = 0;
};

/// One kernel's corrections as a profile file stores them, keyed by kernel and machine.
struct correction_entry {
  std::string kernel;   ///< the kernel's name (kernel_traits<Op>::name)
  std::string machine;  ///< the machine they were measured on (host name and cores)
  std::array<correction_record, executor_kind_count> executors{};  ///< in executor_kind order
};

/// The content of a run-time profile file.
struct profile_document {
  machine_profile profile{};
  std::vector<learned_entry> learned;
  std::vector<correction_entry> corrections;
  std::string source;  ///< the file it was read from; empty for a built-in profile
};

/// The format tag every profile file starts with; a different major version is refused.
inline constexpr std::string_view profile_format = "breakeven-profile/1";

namespace detail {

/// One term of machine_profile as files name, type and bound it.
struct profile_field {
  enum class type : std::uint8_t { real, count, flag, text };
  std::string_view key;
  type kind;
  double machine_profile::*real = nullptr;
  unsigned machine_profile::*count = nullptr;
  bool machine_profile::*flag = nullptr;
  double lo = 0, hi = 0;  ///< inclusive range of a real or count
};

inline constexpr double max_term_ns = 1e12;  // 1000 s: larger is a unit mistake, not a machine

/// The terms, in the order files and headers list them.
inline constexpr std::array<profile_field, 18> profile_fields{{
    {"cores", profile_field::type::count, nullptr, &machine_profile::cores, nullptr, 1, 65536},
    {"call_overhead_ns", profile_field::type::real, &machine_profile::call_overhead_ns, nullptr, nullptr, 0, max_term_ns},
    {"thread_start_ns", profile_field::type::real, &machine_profile::thread_start_ns, nullptr, nullptr, 0, max_term_ns},
    {"thread_dispatch_ns", profile_field::type::real, &machine_profile::thread_dispatch_ns, nullptr, nullptr, 0, max_term_ns},
    {"wake_ns", profile_field::type::real, &machine_profile::wake_ns, nullptr, nullptr, 0, max_term_ns},
    {"process_start_ns", profile_field::type::real, &machine_profile::process_start_ns, nullptr, nullptr, 0, max_term_ns},
    {"process_dispatch_ns", profile_field::type::real, &machine_profile::process_dispatch_ns, nullptr, nullptr, 0, max_term_ns},
    {"pipe_ns_per_byte", profile_field::type::real, &machine_profile::pipe_ns_per_byte, nullptr, nullptr, 0, 1e6},
    {"shm_setup_ns", profile_field::type::real, &machine_profile::shm_setup_ns, nullptr, nullptr, 0, max_term_ns},
    {"shm_page_ns", profile_field::type::real, &machine_profile::shm_page_ns, nullptr, nullptr, 0, max_term_ns},
    {"page_bytes", profile_field::type::real, &machine_profile::page_bytes, nullptr, nullptr, 512, double(1ull << 30)},
    {"memcpy_ns_per_byte", profile_field::type::real, &machine_profile::memcpy_ns_per_byte, nullptr, nullptr, 0, 1e6},
    {"memory_bound_scaling", profile_field::type::real, &machine_profile::memory_bound_scaling, nullptr, nullptr, 0.01, 65536},
    {"io_threads", profile_field::type::count, nullptr, &machine_profile::io_threads, nullptr, 1, 65536},
    {"overhead_factor", profile_field::type::real, &machine_profile::overhead_factor, nullptr, nullptr, 0, 1000},
    {"min_speedup", profile_field::type::real, &machine_profile::min_speedup, nullptr, nullptr, 1, 1000},
    {"assume_warm", profile_field::type::flag, nullptr, nullptr, &machine_profile::assume_warm, 0, 0},
    {"name", profile_field::type::text, nullptr, nullptr, nullptr, 0, 0},  // machine_profile::name
}};

/// Profile names are identifiers of at most 64 characters: they go into logs and headers.
inline bool valid_profile_name(std::string_view s) noexcept {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
          c == '.'))
      return false;
  return true;
}

/// Kernel names of learned costs: what is wrong with `s` as one, or nullptr when nothing is.
/// A name is what kernel_traits<Op>::name gives (a type name, spaces and punctuation
/// allowed inside): 1 to 1024 bytes, no control character, no space at either end.
inline const char* learned_name_fault(std::string_view s) noexcept {
  if (s.empty()) return "empty kernel name";
  if (s.size() > 1024) return "kernel name longer than 1024 bytes";
  if (s.find_first_not_of(' ') == std::string_view::npos) return "blank kernel name";
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return "control character in the kernel name";
  if (s.front() == ' ' || s.back() == ' ') return "leading or trailing space in the kernel name";
  return nullptr;
}

inline bool valid_identifier(std::string_view s) noexcept {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

/// Profile names read from files live as long as the program (machine_profile holds a
/// `const char*`); each distinct name is stored once.
BREAKEVEN_DECL const char* intern_name(std::string_view s);

/// The shortest text that reads back as exactly `d` (also a valid C++ literal).
BREAKEVEN_DECL std::string format_double(double d);

BREAKEVEN_DECL std::string where(const json::value& v);

BREAKEVEN_DECL double read_number(const json::value& v, std::string_view key, double lo, double hi, bool integral,
                                  const std::string& source);

BREAKEVEN_DECL learned_entry read_learned(const std::string& kernel, const json::value& v, const std::string& source);

BREAKEVEN_DECL correction_entry read_corrections(const std::string& kernel, const json::value& v, const std::string& source);

}  // namespace detail

/// Reads a run-time profile from JSON text; `source` names it in errors (a path, "<string>").
BREAKEVEN_DECL profile_document parse_profile(std::string_view text, const std::string& source = "<profile>");

/// Reads a run-time profile file; throws profile_error naming the path when it cannot.
BREAKEVEN_DECL profile_document load_profile(const std::string& path);

/// The profile (and learned costs) as JSON text, in the format parse_profile reads.
/// `calibration` is an optional JSON object of informative figures (spreads, duration).
/// `corrections`: what measured calls taught the decision (feedback.hpp).
BREAKEVEN_DECL std::string profile_json(const machine_profile& p, const std::vector<learned_entry>& learned = {},
                                        std::string_view calibration = {},
                                        const std::vector<correction_entry>& corrections = {});

/// Checks that `p` is a profile files can hold; throws profile_error naming the first bad term.
BREAKEVEN_DECL void validate_profile(const machine_profile& p);

/// A header that defines `breakeven::profiles::<type_name>` with `p` as its constexpr value:
/// the compile-time profile a build selects through BREAKEVEN_PROFILE_HEADER.
BREAKEVEN_DECL std::string profile_header(const machine_profile& p, std::string_view type_name = "calibrated",
                                          std::string_view comment = {});

/// The environment variable naming the run-time profile file.
inline constexpr const char* profile_env = "BREAKEVEN_PROFILE";

/// The profile named by BREAKEVEN_PROFILE, read now. Unset: `fallback`, silently. Set but
/// unusable: `fallback`, after one line on stderr that says why (never an exception).
BREAKEVEN_DECL profile_document profile_from_environment(const machine_profile& fallback = default_profile::value);

/// This process's profile file: BREAKEVEN_PROFILE's if usable, else the build's default
/// profile (with an empty `source`). Read once, on first use; runtime_profile() (call.hpp)
/// decides with it.
inline const profile_document& environment_profile() {
  static const profile_document doc = profile_from_environment();
  return doc;
}

}  // namespace breakeven

#if !defined(BREAKEVEN_SEPARATE_COMPILATION)
#include <breakeven/impl/profile_io.ipp>
#endif
